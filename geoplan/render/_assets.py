"""Inline Leaflet and its companions into a map page, from registry packages.

folium links its scripts and styles from CDNs (jsdelivr, cdnjs, code.jquery,
bootstrapcdn), which are blocked or unreachable on many government networks.
:func:`inline` replaces each link with the file's content from the installed
XStatic packages (Leaflet 1.9.3, Leaflet.markercluster, jQuery), and drops the
ones geoplan's maps do not use (Bootstrap, Font Awesome, awesome-markers).
"""

from __future__ import annotations

import base64
import importlib
import re
from pathlib import Path

from geoplan.errors import GeoplanError

#: URL endings -> (XStatic package, file)
LOCAL = {
    "leaflet.js": ("xstatic.pkg.leaflet", "leaflet.js"),
    "leaflet.css": ("xstatic.pkg.leaflet", "leaflet.css"),
    "jquery-3.7.1.min.js": ("xstatic.pkg.jquery", "jquery.min.js"),
    "leaflet.markercluster.js": (
        "xstatic.pkg.leaflet_markercluster",
        "leaflet.markercluster.js",
    ),
    "MarkerCluster.css": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
    "MarkerCluster.Default.css": (
        "xstatic.pkg.leaflet_markercluster",
        "MarkerCluster.Default.css",
    ),
}
#: Assets folium adds that geoplan's maps never use.
UNUSED = ("bootstrap", "awesome-markers", "fontawesome", "glyphicons", "awesome.rotate")

_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"></script>')
_STYLE = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>')


class AssetError(GeoplanError, LookupError):
    """A web asset could not be inlined."""


def _local(url: str) -> Path | None:
    for ending, (module, name) in LOCAL.items():
        if url.endswith("/" + ending):
            try:
                package = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                dist = module.replace("xstatic.pkg.", "xstatic-").replace("_", "-")
                msg = f"Offline maps need {dist}: pip install {dist}"
                raise AssetError(msg) from exc
            return Path(package.BASE_DIR) / name
    return None


def _data_uris(css: str, folder: Path) -> str:
    def embed(match: re.Match[str]) -> str:
        target = folder / match.group(1)
        if not target.is_file():
            return match.group(0)
        encoded = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\((images/[^)]+\.png)\)", embed, css)


def inline(html: str) -> str:
    """
    Replace CDN links by inline scripts and styles; drop unused ones.

    Parameters
    ----------
    html
        A rendered folium page.

    Returns
    -------
    str
        The page, needing no network except for map tiles.

    Raises
    ------
    AssetError
        If a linked asset is neither available locally nor known to be unused.
    """

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        path = _local(url)
        if path is None:
            return _unused(url)
        text = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>/* {path.name}, inlined from {url} */\n{text}\n</script>"

    def style(match: re.Match[str]) -> str:
        url = match.group(1)
        path = _local(url)
        if path is None:
            return _unused(url)
        css = _data_uris(path.read_text(encoding="utf-8"), path.parent)
        return f"<style>/* {path.name}, inlined from {url} */\n{css}\n</style>"

    return _STYLE.sub(style, _SCRIPT.sub(script, html))


def _unused(url: str) -> str:
    if any(marker in url for marker in UNUSED):
        return f"<!-- {url} left out: not used by this map -->"
    msg = f"No local copy of {url}; the map would need the internet for it."
    raise AssetError(msg)
