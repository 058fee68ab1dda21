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


#: JavaScript: every drawn feature's class and colour, and every legend entry.
DRAWN_AND_LEGEND = """() => {
  const map = MAP;
  const drawn = [];
  const seen = new Set();
  const visit = l => {
    if (seen.has(l)) return;
    seen.add(l);
    if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) {
      l.getLayers().forEach(visit);
    } else if (l instanceof L.LayerGroup) {
      l.eachLayer(visit);
    } else if (l instanceof L.Path) {
      drawn.push({key: l.options.geoplanClass || null,
                  colour: (l.options.fillColor || l.options.color || "").toLowerCase(),
                  point: l instanceof L.CircleMarker && !(l instanceof L.Circle)});
    }
  };
  map.eachLayer(visit);
  const hex = rgb => "#" + rgb.match(/\\d+/g).slice(0, 3)
    .map(v => Number(v).toString(16).padStart(2, "0")).join("");
  document.querySelectorAll(".geoplan-cluster-icon").forEach(el => drawn.push({
    key: "cluster", colour: hex(getComputedStyle(el).backgroundColor), point: true}));
  const defaults = document.querySelectorAll(
    ".marker-cluster-small, .marker-cluster-medium, .marker-cluster-large").length;
  const legend = [...document.querySelectorAll(".geoplan-legend-item")].map(el => ({
    key: el.dataset.class, colour: el.dataset.colour.toLowerCase(),
    label: el.textContent}));
  return {drawn, legend, defaults};
}""".replace("MAP", FIND_MAP)


def legend_meanings(page: object) -> dict[str, str]:
    """
    Check that every colour drawn is in a legend with the class it was drawn for.

    Returns
    -------
    dict
        Class key -> legend label of every class drawn.
    """
    found = page.evaluate(DRAWN_AND_LEGEND)  # type: ignore[attr-defined]
    assert found["defaults"] == 0, "Leaflet's coloured cluster bubbles are drawn"
    legend = {(item["key"], item["colour"]): item["label"] for item in found["legend"]}
    meanings = {}
    for feature in found["drawn"]:
        key = (feature["key"], feature["colour"])
        assert key in legend, f"drawn {key} has no legend entry; legend: {legend}"
        meanings[feature["key"]] = legend[key]
    return meanings
