"""Hostile names on maps: shown as written, never run (checked in Chromium)."""

from __future__ import annotations

import json
import re
import shlex

import geopandas as gpd
import pandas as pd
import pytest
from browser import FIND_MAP, opened
from payloads import PAYLOADS, RCE
from shapely.geometry import Point, box

from geoplan import settings
from geoplan.cli import main
from geoplan.render import _html, maps

#: What `id` prints: the sign that the injected command ran.
RAN = re.compile(r"uid=\d+\(")

#: JavaScript: open every point's popup in turn, collect what it shows.
POPUP_TEXTS = """(limit) => {
  const map = MAP; const found = new Set();
  map.eachLayer(l => {
    if (l.getLatLng) found.add(l);
    else if (l.getLayers) l.getLayers().forEach(c => c.getLatLng && found.add(c));
  });
  const leaves = [...found];
  const seen = [];
  let injected = 0;
  const read = el => {
    seen.push(el.textContent);
    injected += el.querySelectorAll("script,img,svg").length;
  };
  for (const leaf of leaves.slice(0, limit)) {
    const popup = leaf.getPopup && leaf.getPopup();
    let content = popup ? popup.getContent() : null;
    if (typeof content === "function") content = content(leaf);
    if (content instanceof HTMLElement) { read(content); continue; }
    if (typeof content === "string") {
      const box = document.createElement("div");
      box.innerHTML = content;
      read(box);
      continue;
    }
    leaf.fire("click", {latlng: leaf.getLatLng()}, true);  // canvas layers
    const el = document.querySelector(".leaflet-popup-content");
    if (el) read(el);
    map.closePopup();
  }
  return [seen, injected];
}""".replace("MAP", FIND_MAP)


def test_text_escapes_every_special_character_once():
    for payload in PAYLOADS:
        escaped = _html.text(payload)
        for char in "<>\"'`${}\\\n\r":
            assert char not in escaped
        assert "{{" not in escaped
        assert "{%" not in escaped


@pytest.mark.parametrize("n", [len(PAYLOADS), maps.MARKER_LIMIT + 1])
def test_hostile_names_are_shown_as_written(tmp_path, n):
    names = (PAYLOADS * (n // len(PAYLOADS) + 1))[:n]
    points = gpd.GeoDataFrame(
        {"name": names},
        geometry=[Point(109.9 + i * 1e-5, 33.85) for i in range(n)],
        crs=4326,
    )
    units = gpd.GeoDataFrame(
        {"name": [RCE], "share": [0.5]},
        geometry=[box(109.8, 33.8, 110.1, 34.0)],
        crs=4326,
    )
    m = maps.coverage_map(
        units,
        share_column="share",
        fields={"name": "{{7*7}}名称"},
        title=RCE,
        legend_title="${alert(8)}",
        legend_note="`-alert(9)-`",
        basemap="none",
    )
    maps.add_points(m, points, name="{% raw %}x", fields={"name": "${alert(10)}"})
    path = maps.save(m, tmp_path / "evil.html")
    page_text = path.read_text(encoding="utf-8")
    assert not RAN.search(page_text)  # the command never ran
    for payload in PAYLOADS[:8]:
        assert payload not in page_text  # never raw in the page
        assert json.dumps(payload)[1:-1] not in page_text
    with opened(path) as (page, external, errors):
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        assert page.inner_text("#geoplan-title") == RCE
        assert "${alert(8)}" in page.inner_text("#geoplan-legend")
        assert "{% raw %}x" in page.inner_text("#geoplan-point-legend")
        shown, injected = page.evaluate(POPUP_TEXTS, 3 * len(PAYLOADS))
        assert injected == 0
        missing = [p[:40] for p in PAYLOADS if not any(p in t for t in shown)]
        assert missing == []
        assert all("${alert(10)}" in t for t in shown)  # the field label
        assert dialogs == []
        assert errors == []
        assert external == []


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "gazetteer_path", tmp_path / "cache" / "gz.gpkg")
    return tmp_path


def test_recommend_map_with_a_template_injection_in_a_site_name(folder):
    """The probe that ran `id` on the planner's machine through folium's Jinja."""
    pd.DataFrame({"lon": [109.94, 109.95], "lat": [33.87, 33.87]}).to_csv(
        "d.csv", index=False
    )
    pd.DataFrame({"name": [RCE, "${alert(3)}"], "lon": [109.94, 109.95]}).assign(
        lat=33.87
    ).to_csv("c.csv", index=False)
    code = main(
        shlex.split(
            "-q recommend --demand d.csv --candidates c.csv --coords wgs84 "
            "--radius-m 500 --k 2 --basemap none --out out/rce.gpkg --map out/rce.html"
        )
    )
    assert code == 0
    html = (folder / "out" / "rce.html").read_text(encoding="utf-8")
    assert not RAN.search(html)
    assert RCE not in html
    with opened(folder / "out" / "rce.html") as (page, _external, errors):
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        shown, injected = page.evaluate(POPUP_TEXTS, 10)
        assert sum(RCE in t for t in shown) == 1
        assert sum("${alert(3)}" in t for t in shown) == 1
        assert injected == 0
        assert dialogs == []
        assert errors == []


def test_map_title_from_the_command_line_is_text(folder):
    gpd.GeoDataFrame(
        {"share": [0.5]}, geometry=[box(109.8, 33.8, 110.1, 34.0)], crs=4326
    ).to_file("u.gpkg", layer="units")
    code = main(
        ["map", "u.gpkg", "--units", "units", "--share-column", "share"]
        + ["--title", "{{7*7}}${alert(1)}", "--basemap", "none", "--out", "m.html"]
    )
    assert code == 0
    with opened(folder / "m.html") as (page, _external, errors):
        assert page.inner_text("#geoplan-title") == "{{7*7}}${alert(1)}"
        assert errors == []
