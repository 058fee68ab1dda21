r"""The one way a string from data reaches a map page: as inert text.

folium renders every element's script, then renders the whole page once more
as a Jinja template, and puts popup and tooltip HTML inside JavaScript
template literals. A name from a spreadsheet therefore passes through HTML,
JavaScript and Jinja. :func:`text` escapes it for all three at once: every
character that means something in any of them (``& < > " ' ` $ { } \``, line
breaks) becomes an HTML character reference, which the browser shows as the
character and which none of the three can execute. The page shows the name
exactly as written; no template, script or tag in it ever runs.
"""

from __future__ import annotations

_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "`": "&#96;",  # ends a JavaScript template literal
    "$": "&#36;",  # ${...} in a template literal
    "{": "&#123;",  # {{ }} {% %} {# #} for Jinja
    "}": "&#125;",
    "\\": "&#92;",  # escapes in JavaScript strings
    "\n": "&#10;",
    "\r": "&#13;",
    "\u2028": "&#8232;",  # line terminators inside JavaScript strings
    "\u2029": "&#8233;",
}
_TABLE = str.maketrans(
    {
        **_ESCAPES,
        # control characters have no place in a label; NUL is not even HTML
        **{chr(c): "\ufffd" for c in range(32) if chr(c) not in "\t\n\r"},
        "\x7f": "\ufffd",
    }
)


def text(value: object) -> str:
    """
    Return a value as text safe in HTML, attributes, JavaScript strings and Jinja.

    Parameters
    ----------
    value
        Anything; ``str(value)`` is escaped.

    Returns
    -------
    str
        The text with every special character as an HTML character
        reference; a browser shows the original characters.

    Examples
    --------
    >>> text("{{7*7}} ${x} <b>")
    '&#123;&#123;7*7&#125;&#125; &#36;&#123;x&#125; &lt;b&gt;'
    """
    return str(value).translate(_TABLE)
