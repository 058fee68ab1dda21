"""Candidate sites from a grid and from the gazetteer; keeping facilities to a unit."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import UTM_49N, points
from shapely.geometry import box

from geoplan.access import costs
from geoplan.errors import ValidationError
from geoplan.planning import candidates, siting


def test_grid_points_lie_on_whole_multiples_inside_their_unit():
    # two 1 km squares near UTM 49N's central meridian, 2 km apart
    x0, y0 = 500_100.0, 3_700_100.0
    units = gpd.GeoDataFrame(
        {"code": ["A", "B"]},
        geometry=[
            box(x0, y0, x0 + 1000, y0 + 1000),
            box(x0 + 2000, y0, x0 + 3000, y0 + 1000),
        ],
        crs=UTM_49N,
    )
    grid = candidates.grid(units, spacing_m=250, unit_column="code")
    assert grid.crs.to_epsg() == 4326
    # inside (500100, 501100): 500250, 500500, 500750, 501000 -> 4 x 4 per square
    assert grid["unit"].value_counts().to_dict() == {"A": 16, "B": 16}
    xy = grid.to_crs(UTM_49N).get_coordinates()
    assert np.allclose(xy / 250, np.round(xy / 250), atol=1e-6)
    inside = [
        units.set_index("code").geometry[u].contains(p)
        for u, p in zip(grid["unit"], grid.to_crs(UTM_49N).geometry, strict=True)
    ]
    assert all(inside)
    with pytest.raises(ValueError, match="positive"):
        candidates.grid(units, spacing_m=0)
    with pytest.raises(ValidationError, match="widen the spacing"):
        candidates.grid(units, spacing_m=0.1)


def test_restrict_keeps_pairs_within_a_group():
    # demand a, b in town T1 and c in T2; candidates x (T1) and y (T2) reach all
    demand = points((0, 0), (100, 0), (200, 0))
    sites = points((100, 10), (150, 10))
    table = costs.euclidean_costs(demand, sites, cutoff_m=500, with_pairs=True)
    cov = siting.coverage_from_costs(table)
    assert cov.matrix.sum() == 6
    kept = siting.restrict(cov, pd.Series(["T1", "T1", "T2"]), pd.Series(["T1", "T2"]))
    assert kept.matrix.toarray().tolist() == [
        [True, False],
        [True, False],
        [False, True],
    ]
    # with one site per town allowed, covering everyone takes both
    assert len(siting.lscp(cov, target_share=1.0).selected) == 1
    assert sorted(siting.lscp(kept, target_share=1.0).selected) == [0, 1]
    blank = siting.restrict(cov, pd.Series(["", None, "T2"]), pd.Series(["", "T2"]))
    assert blank.matrix.toarray().tolist() == [
        [False, False],
        [False, False],
        [False, True],
    ]


def test_reused_codes_land_on_the_current_unit(shangluo_gazetteer):
    # 金丝峡镇 was 611023111 in 2016; the 2025 list gives that code to 青山镇
    gz = shangluo_gazetteer
    units = gz.units
    (code,) = units.index[(units["name"] == "金丝峡镇") & (units["level"] == "town")]
    assert code != "611023111000"
    assert "611023111000@2016-07-31" in units.at[code, "former_codes"]
    assert units.at["611023111000", "name"] == "青山镇"
    villages = units[
        (units["level"] == "village") & units.index.str.startswith(code[:9])
    ]
    assert len(villages) > 5
    codes = pd.Series([*villages.index[:2], "611002115220", "611002115000", "611002"])
    assert gz.town_of(codes).tolist() == [
        code, code, "611002115000", "611002115000", "",
    ]  # fmt: skip


def test_gazetteer_candidates_are_located_real_units(shangluo_gazetteer):
    units = shangluo_gazetteer.units
    found = candidates.from_gazetteer(shangluo_gazetteer, within="611002")
    expected = units[
        units.index.str.startswith("611002")
        & units["level"].isin(["town", "village"])
        & ~units["pseudo"]
    ]
    assert set(found.index) == set(expected.index[expected["lon"].notna()])
    assert found.attrs["without_point"] == expected["lon"].isna().sum() > 0
    assert len(found) > 10
    villages = found[found["level"] == "village"]
    assert villages["town_code"].str[:9].eq(villages.index.str[:9]).all()
    assert (found["county_code"] == "611002000000").all()
    assert found.crs.to_epsg() == 4326
    with pytest.raises(ValidationError, match="not a unit"):
        candidates.from_gazetteer(shangluo_gazetteer, within="611099")


def test_recommend_on_a_grid_keeps_sites_to_their_unit(tmp_path):
    from conftest import run_geoplan

    # two 1 km squares 1 km apart (UTM 49N); two villages in each square
    x0, y0 = 500_100.0, 3_700_100.0
    gpd.GeoDataFrame(
        {"town": ["甲镇", "乙镇"]},
        geometry=[
            box(x0, y0, x0 + 1000, y0 + 1000),
            box(x0 + 2000, y0, x0 + 3000, y0 + 1000),
        ],
        crs=UTM_49N,
    ).to_file(tmp_path / "towns.gpkg")
    xy = [(950, 500), (800, 400), (2050, 500), (2100, 600)]
    villages = points(
        *[(x0 + x, y0 + y) for x, y in xy], town=["甲镇", "甲镇", "乙镇", "乙镇"]
    ).to_crs(4326)
    table = villages.drop(columns="geometry").assign(
        lon=villages.geometry.x, lat=villages.geometry.y
    )
    table.to_csv(tmp_path / "villages.csv", index=False)
    common = [
        "recommend", "--demand", "villages.csv", "--coords", "wgs84",
        "--candidates-grid-m", "250", "--units", "towns.gpkg", "--units-column", "town",
        "--radius-m", "1300", "--target-share", "1",
    ]  # fmt: skip
    free = run_geoplan(*common, "--out", "free.gpkg", cwd=tmp_path)
    assert free.returncode == 0, free.stderr
    kept = run_geoplan(
        *common, "--keep-within", "town=unit", "--out", "kept.gpkg", cwd=tmp_path
    )
    assert kept.returncode == 0, kept.stderr
    import pyogrio

    # grid point (900, 400) reaches all four: 112, 100, 1154 and 1217 m away
    assert len(pyogrio.read_dataframe(tmp_path / "free.gpkg", layer="recommended")) == 1
    chosen = pyogrio.read_dataframe(tmp_path / "kept.gpkg", layer="recommended")
    assert sorted(chosen["unit"]) == ["乙镇", "甲镇"]
    bad = run_geoplan(*common, "--keep-within", "county", cwd=tmp_path)
    assert bad.returncode == 1
    assert "no column 'county'" in bad.stderr
