"""Open saved maps in headless Chromium (Debian's) with the network cut off."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: JavaScript: the page's Leaflet map object.
FIND_MAP = (
    "Object.keys(window).map(k => window[k]).find(v => window.L && v instanceof L.Map)"
)

#: JavaScript: how many polygons, clustered markers and canvas circles are drawn.
COUNT_LAYERS = """() => {
  const map = MAP;
  const out = {polygons: 0, clustered: 0, circles: 0};
  map.eachLayer(l => {
    if (l instanceof L.Polygon) out.polygons += 1;
    if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup)
      out.clustered += l.getLayers().length;
    if (l instanceof L.CircleMarker && !(l instanceof L.Circle)) out.circles += 1;
  });
  return out;
}""".replace("MAP", FIND_MAP)


@contextmanager
def opened(path: Path) -> Iterator[tuple[object, list[str], list[str]]]:
    """Yield (page, requests that tried to leave the machine, JS errors)."""
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian package chromium)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(
            offline=True, viewport={"width": 1200, "height": 800}
        )
        page = context.new_page()
        external: list[str] = []
        errors: list[str] = []
        page.on(
            "request",
            lambda r: (
                external.append(r.url)
                if not r.url.startswith(("file:", "data:", "blob:"))
                else None
            ),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        try:
            yield page, external, errors
        finally:
            browser.close()


def screenshot(page: object, name: str) -> Path:
    """Save a screenshot under tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(target))  # type: ignore[attr-defined]
    return target
