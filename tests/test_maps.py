"""Maps open offline in a real browser: Leaflet, features, legend, no network."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from browser import COUNT_LAYERS, FIND_MAP, legend_meanings, opened, screenshot
from shapely.geometry import Point, box

from geoplan.places import coords
from geoplan.render import basemaps, maps
from geoplan.render.basemaps import BasemapError

GEOPLAN = Path(sys.executable).with_name("geoplan")


@pytest.fixture(scope="module")
def shangluo_map(tmp_path_factory):
    from conftest import run_geoplan

    workdir = tmp_path_factory.mktemp("map")
    run = run_geoplan("demo", "shangluo", "--basemap", "none", cwd=workdir)
    assert run.returncode == 0, run.stderr
    return workdir / "maps" / "shangluo-relocation-cemeteries.html"


def test_shangluo_map_draws_offline_in_chromium(shangluo_map):
    text = shangluo_map.read_text(encoding="utf-8")
    assert '<script src="http' not in text
    assert '<link rel="stylesheet" href="http' not in text
    with opened(shangluo_map) as (page, external, errors):
        assert page.evaluate("typeof L") == "object"
        assert page.evaluate("L.version") == "1.9.3"
        counts = page.evaluate(COUNT_LAYERS)
        assert counts["polygons"] == 7  # the counties
        assert counts["clustered"] == 124  # every named site
        assert page.is_visible("#geoplan-legend")
        assert "安置点公墓覆盖率" in page.inner_text("#geoplan-legend")
        assert page.is_visible("#geoplan-point-legend")
        # every colour drawn is in a legend with the class it was drawn for:
        # points in their precision's colour, shares in their class, cluster
        # bubbles neutral (never Leaflet's green/yellow/orange by size)
        meanings = legend_meanings(page)
        assert meanings["county"] == "县级 county"
        assert meanings["town"].startswith("乡镇级")
        assert meanings["cluster"].startswith("聚合点")
        assert "manual" not in meanings  # no class without a point drawn
        page.wait_for_timeout(300)
        shot = screenshot(page, "shangluo-map")
        assert errors == []
        assert external == []  # nothing left the machine
    assert shot.stat().st_size > 10_000


def test_the_map_records_its_basemap(shangluo_map):
    text = shangluo_map.read_text(encoding="utf-8")
    assert '<meta name="geoplan-basemap" content="none">' in text
    assert '<meta name="geoplan-coord-system" content="wgs84">' in text


def _one_point_map(tmp_path, basemap):
    site = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[Point(109.94, 33.87)], crs=4326)
    m = maps.new_map((109.9, 33.8, 110.0, 33.9), basemap=basemap)
    maps.add_points(m, site, name="sites", fields={"name": "名称"})
    return maps.save(m, tmp_path / f"{basemap}.html")


LATLNGS = """() => {
  const map = MAP; const out = [];
  map.eachLayer(l => { if ((L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup))
    l.getLayers().forEach(m => out.push([m.getLatLng().lng, m.getLatLng().lat])); });
  return out;
}""".replace("MAP", FIND_MAP)


def test_gaode_basemap_shifts_overlays_to_gcj02(tmp_path):
    gcj_lon, gcj_lat = coords.convert(109.94, 33.87, source="wgs84", target="gcj02")
    with opened(_one_point_map(tmp_path, "gaode")) as (page, external, _):
        ((lon, lat),) = page.evaluate(LATLNGS)
        assert (lon, lat) == pytest.approx((gcj_lon[0], gcj_lat[0]), abs=1e-9)
        assert all("autonavi" in url for url in external)  # only its tiles
    with opened(_one_point_map(tmp_path, "osm")) as (page, external, _):
        ((lon, lat),) = page.evaluate(LATLNGS)
        assert (lon, lat) == pytest.approx((109.94, 33.87), abs=1e-9)
        assert all("tile.openstreetmap.org" in url for url in external)


def test_tianditu_needs_a_key(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(BasemapError, match="TIANDITU_KEY"):
        maps.new_map((109, 33, 110, 34), basemap="tianditu-vec")
    assert basemaps.get("auto").id == "osm"
    monkeypatch.setenv("TIANDITU_KEY", "abc")
    assert basemaps.get("auto").id == "tianditu-vec"
    urls = basemaps.get("tianditu-vec").urls()
    assert len(urls) == 2  # vector + Chinese labels
    assert all("tk=abc" in u for u in urls)


EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.mark.parametrize("n", [1, maps.MARKER_LIMIT + 1])
def test_malicious_names_are_shown_as_text(tmp_path, n):
    points = gpd.GeoDataFrame(
        {"name": [EVIL] * n},
        geometry=[Point(109.9 + i * 1e-4, 33.85) for i in range(n)],
        crs=4326,
    )
    units = gpd.GeoDataFrame(
        {"name": [EVIL], "share": [0.5]},
        geometry=[box(109.8, 33.8, 110.1, 34.0)],
        crs=4326,
    )
    m = maps.coverage_map(
        units,
        share_column="share",
        fields={"name": "名称"},
        title=EVIL,
        legend_title=EVIL,
        basemap="none",
    )
    maps.add_points(m, points, name=EVIL, fields={"name": "名称"})
    path = maps.save(m, tmp_path / "evil.html")
    with opened(path) as (page, external, errors):
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        assert EVIL in page.inner_text("#geoplan-title")
        opened_text = page.evaluate(
            """() => {
          const map = MAP; const leaves = [];
          map.eachLayer(l => {
            if (l.getLatLng) leaves.push(l);
            else if (l.getLayers)
              l.getLayers().forEach(c => c.getLatLng && leaves.push(c));
          });
          for (const leaf of leaves) {
            if (leaf.getPopup && leaf.getPopup()) leaf.openPopup();
            else leaf.fire("click", {latlng: leaf.getLatLng()}, true);
            const el = document.querySelector(".leaflet-popup-content");
            if (el) return [el.textContent, el.querySelectorAll("script,img").length];
          }
          return null;
        }""".replace("MAP", FIND_MAP)
        )
        assert opened_text is not None
        text, injected = opened_text
        assert EVIL in text
        assert injected == 0
        assert dialogs == []
        assert errors == []
        assert external == []
        assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    data = path.read_text(encoding="utf-8")
    assert json.dumps(EVIL)[1:-1] not in data  # never raw in the page


def test_png_finds_a_chinese_font_installed_after_matplotlib_cached_its_fonts(
    tmp_path, monkeypatch
):
    """`make demo` may build matplotlib's font cache before the font is installed."""
    from matplotlib import font_manager

    if not any(
        any(part in Path(f).name.lower() for part in maps.CJK_FILES)
        for f in font_manager.findSystemFonts()
    ):
        pytest.skip("no Chinese font installed (Debian: fonts-wqy-zenhei)")
    stale = [
        entry
        for entry in font_manager.fontManager.ttflist
        if not any(entry.name.startswith(f) for f in maps.CJK_FAMILIES)
    ]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    font = maps.cjk_font()
    assert font is not None
    units = gpd.GeoDataFrame(
        {"share": [0.5]}, geometry=[box(109.8, 33.8, 110.1, 34.0)], crs=4326
    )
    # a missing glyph is a UserWarning, an error in this test suite
    path = maps.to_png(
        units,
        tmp_path / "m.png",
        share_column="share",
        title="商洛市覆盖",
        legend_title="安置点公墓覆盖率",
    )
    assert path.stat().st_size > 5_000


def test_png_labels_fall_back_to_english_without_a_chinese_font(tmp_path, monkeypatch):
    monkeypatch.setattr(maps, "cjk_font", lambda: None)
    units = gpd.GeoDataFrame(
        {"share": [0.5]}, geometry=[box(109.8, 33.8, 110.1, 34.0)], crs=4326
    )
    points = gpd.GeoDataFrame(
        {"precision": ["town", "county"]},
        geometry=[Point(109.9, 33.9), Point(110.0, 33.9)],
        crs=4326,
    )
    maps.to_png(
        units,
        tmp_path / "m.png",
        share_column="share",
        title="商洛市覆盖",
        title_en="Shangluo coverage",
        legend_title="安置点公墓覆盖率 sites provided for",
        points=points,
        point_column="precision",
        point_colours={"town": ("#33a02c", "乡镇级 town")},
    )  # DejaVu has no Chinese glyphs: any Chinese left would warn, an error here
    assert maps._english("乡镇级 town") == "town"
    assert maps._english("25–50%") == "25–50%"
