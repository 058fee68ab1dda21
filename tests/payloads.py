"""Hostile strings every writer must carry as inert text."""

from __future__ import annotations

#: Server-side template injection that runs a shell command under Jinja.
RCE = "{{lipsum.__globals__.os.popen(dict(id=1)|first).read()}}"

#: One of each kind: templates, scripts, markup, formulas, paths, odd characters.
PAYLOADS = [
    RCE,
    "{{7*7}}",
    "{% for x in range(3) %}X{% endfor %}",
    "{# an unclosed comment",
    "${alert(3)}",
    "`-alert(4)-`",
    "</script><script>alert(5)</script>",
    "<img src=x onerror=alert(6)>",
    "'\"><svg onload=alert(7)>",
    "back\\slash\\",
    '=HYPERLINK("http://example.invalid","x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\tTAB",
    "line\u2028break",
    "../../etc/passwd",
    "商州区\u202e镇名",
    "长" * 3000,
]
