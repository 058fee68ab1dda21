"""HTML map render time, size and browser draw time at 2,000 and 20,000 points.

geoplan's `add_points` (clustered markers up to 2,000 points, one canvas GeoJSON
layer above) against folium used as an expert would for many points: one
`folium.GeoJson` layer drawn as circle markers with a `GeoJsonPopup` of the same
fields; and, for reference, `folium.CircleMarker` per point and folium's
`FastMarkerCluster`, on the same points. Each page is saved,
measured, then opened in headless Chromium with the network cut off; the draw
time runs from navigation to the map holding every point.

Run: .venv/bin/python benchmarks/bench_maps.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
from _common import save
from folium.plugins import FastMarkerCluster

from geoplan.render import maps
from geoplan.render._assets import inline

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import FIND_MAP, FLAGS

COUNT = """() => { const map = MAP; let n = 0;
  map.eachLayer(l => {
    if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup)
      n += l.getLayers().length;
    else if (l instanceof L.CircleMarker) n += 1; });
  return n; }""".replace("MAP", FIND_MAP)


def _points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(n)
    return gpd.GeoDataFrame(
        {
            "name": [f"安置点{i}" for i in range(n)],
            "precision": rng.choice(["town", "village", "county"], n),
        },
        geometry=gpd.points_from_xy(
            rng.uniform(108.5, 111, n), rng.uniform(33, 34.5, n)
        ),
        crs="EPSG:4326",
    )


def _ours(points: gpd.GeoDataFrame, path: Path) -> Path:
    m = maps.new_map((108.5, 33, 111, 34.5), basemap="none")
    maps.add_points(
        m, points, name="sites", fields={"name": "名称", "precision": "精度"}
    )
    return maps.save(m, path)


def _plain(points: gpd.GeoDataFrame, path: Path) -> Path:
    m = folium.Map(tiles=None, prefer_canvas=True, maxZoom=18)
    m.fit_bounds([[33, 108.5], [34.5, 111]])
    for name, p in zip(points["name"], points.geometry, strict=True):
        folium.CircleMarker([p.y, p.x], radius=4, popup=name).add_to(m)
    return _offline(m, path)


def _geojson(points: gpd.GeoDataFrame, path: Path) -> Path:
    m = folium.Map(tiles=None, prefer_canvas=True, maxZoom=18)
    m.fit_bounds([[33, 108.5], [34.5, 111]])
    folium.GeoJson(
        points,
        marker=folium.CircleMarker(radius=4),
        popup=folium.GeoJsonPopup(
            fields=["name", "precision"], aliases=["名称", "精度"]
        ),
    ).add_to(m)
    return _offline(m, path)


def _fast(points: gpd.GeoDataFrame, path: Path) -> Path:
    m = folium.Map(tiles=None, maxZoom=18)
    m.fit_bounds([[33, 108.5], [34.5, 111]])
    # its default callback draws awesome-markers icons (a CDN-only plugin); use
    # circle markers like the other two
    callback = (
        "function (row) { return L.circleMarker(new L.LatLng(row[0], row[1]), "
        "{radius: 4}); }"
    )
    FastMarkerCluster(
        list(zip(points.geometry.y, points.geometry.x, strict=True)), callback=callback
    ).add_to(m)
    return _offline(m, path)


def _offline(m: folium.Map, path: Path) -> Path:
    """The peers get the same inlined assets, so only their drawing is compared."""
    path.write_text(inline(m.get_root().render()), encoding="utf-8")
    return path


def _draw_s(page, path: Path, n: int) -> float:
    start = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_function(f"() => window.L && ({COUNT})() >= {n}", timeout=60_000)
    return time.perf_counter() - start


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    folder = Path(tempfile.mkdtemp())
    rows = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=FLAGS)
        for n in (2_000, 20_000):
            points = _points(n)
            for label, build in (
                ("geoplan", _ours),
                ("folium_geojson_popup", _geojson),
                ("folium_markers", _plain),
                ("folium_fastmarkercluster", _fast),
            ):
                start = time.perf_counter()
                path = build(points, folder / f"{label}-{n}.html")
                render_s = time.perf_counter() - start
                context = browser.new_context(offline=True)
                page = context.new_page()
                try:
                    draw_s = _draw_s(page, path, n)
                except (
                    Exception
                ) as exc:  # a peer that needs its CDN cannot draw offline
                    draw_s = f"failed: {type(exc).__name__}"
                context.close()
                rows[f"{label}_{n}"] = {
                    "render_s": round(render_s, 2),
                    "html_mb": round(path.stat().st_size / 1e6, 2),
                    "draw_s": round(draw_s, 2) if isinstance(draw_s, float) else draw_s,
                }
        browser.close()
    ours = rows["geoplan_20000"]
    assert ours["html_mb"] < 25, ours
    assert isinstance(ours["draw_s"], float), ours
    assert ours["draw_s"] < 10, ours
    for n in (2_000, 20_000):
        peer = rows[f"folium_geojson_popup_{n}"]
        if isinstance(peer["draw_s"], float):
            rows[f"ratio_{n}_geoplan_over_geojson_render_plus_draw"] = round(
                (rows[f"geoplan_{n}"]["render_s"] + rows[f"geoplan_{n}"]["draw_s"])
                / (peer["render_s"] + peer["draw_s"]),
                2,
            )
    save(
        "maps",
        {
            "workload": "points on an offline map, 2k and 20k",
            **rows,
            "target": "20k map < 25 MB and drawn in < 10 s",
        },
    )


if __name__ == "__main__":
    main()
