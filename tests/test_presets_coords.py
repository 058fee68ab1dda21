"""The life-circle preset registry and WGS-84/GCJ-02/BD-09 conversion."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyproj import Geod

from geoplan.access import presets
from geoplan.errors import PresetError
from geoplan.places import coords

GEOD = Geod(ellps="WGS84")


def test_gb50180_tiers_are_cited():
    tiers = {
        p: presets.get(p) for p in ("gb50180-5min", "gb50180-10min", "gb50180-15min")
    }
    assert [t.distance_m for t in tiers.values()] == [300, 500, 1000]
    assert tiers["gb50180-15min"].distance_range_m == (800, 1000)
    assert all("GB 50180-2018" in t.source and t.clause for t in tiers.values())
    assert presets.get("GB50180 15MIN") is tiers["gb50180-15min"]


def test_unknown_preset_lists_the_available_ones():
    with pytest.raises(PresetError, match="available: gb50180-15min") as info:
        presets.get("gb50180-20min")
    assert isinstance(info.value, KeyError)


def test_user_presets_load_and_are_validated(tmp_path):
    path = tmp_path / "county.json"
    record = {
        "id": "shangluo-rural-cemetery",
        "name_zh": "农村公墓服务半径",
        "name_en": "Rural cemetery radius",
        "distance_m": 3000,
        "method": "euclidean",
        "source": "county plan",
    }
    path.write_text(json.dumps({"presets": [record]}), encoding="utf-8")
    (loaded,) = presets.load(path)
    assert presets.get("shangluo rural cemetery").distance_m == 3000
    assert loaded.minutes is None
    path.write_text(json.dumps({"presets": [{**record, "source": ""}]}))
    with pytest.raises(
        PresetError, match=r"'shangluo-rural-cemetery': source is empty"
    ):
        presets.load(path)
    path.write_text(json.dumps({"presets": [{**record, "distance_m": -1}]}))
    with pytest.raises(PresetError, match="distance_m must be greater than 0, got -1"):
        presets.load(path)


def test_minutes_and_metres_convert_in_one_place():
    assert presets.metres_for_minutes(15, walk_speed_m_s=1.2) == 1080.0
    assert presets.get("gb50180-15min").walk_speed_m_s == pytest.approx(1000 / 900)
    with pytest.raises(ValueError, match="walk_speed_m_s"):
        presets.metres_for_minutes(15, walk_speed_m_s=0)


def test_gcj02_shift_in_shangluo_is_400_to_700_m():
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(108.6, 111.1, 500), rng.uniform(33.0, 34.4, 500)
    g_lon, g_lat = coords.convert(lon, lat, source="wgs84", target="gcj02")
    _, _, shift_m = GEOD.inv(lon, lat, g_lon, g_lat)
    assert shift_m.min() > 400
    assert shift_m.max() < 700


def test_round_trips_close_to_a_centimetre():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(74, 134, 20_000), rng.uniform(18, 53, 20_000)
    for system in ("gcj02", "bd09"):
        there = coords.convert(lon, lat, source="wgs84", target=system)
        back_lon, back_lat = coords.convert(*there, source=system, target="wgs84")
        _, _, error_m = GEOD.inv(lon, lat, back_lon, back_lat)
        assert error_m.max() < 0.01, system


def test_known_values_and_the_out_of_china_rule():
    # reference values of the published formulas (also in fast-geocn's coord.py)
    lon, lat = coords.convert(109.94, 33.87, source="wgs84", target="gcj02")
    assert (lon[0], lat[0]) == pytest.approx((109.94498783261672, 33.868322979406344))
    paris = coords.convert(2.35, 48.85, source="wgs84", target="bd09")
    bd_lon, bd_lat = coords.convert(2.35, 48.85, source="gcj02", target="bd09")
    assert (paris[0][0], paris[1][0]) == (bd_lon[0], bd_lat[0])  # no GCJ shift abroad
    nan = coords.convert([np.nan], [30.0], source="gcj02", target="wgs84")
    assert np.isnan(nan[0][0])
    with pytest.raises(ValueError, match="`source` must be one of"):
        coords.convert(1, 1, source="wgs-84", target="gcj02")
