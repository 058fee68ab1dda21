"""Street networks from local OSM files, and network costs on them.

A :class:`StreetNetwork` is two frames in a metric CRS: nodes and undirected
edges with ``length_m`` and line geometry. Demand and facilities snap to their
nearest edge; the off-network access distance is added and reported. One
multi-source Dijkstra pass (``scipy.sparse.csgraph.dijkstra`` with
``min_only``) gives every point its nearest facility. Disconnected fragments
are kept: their points get an infinite cost and their component is reported.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components, dijkstra

from geoplan import settings
from geoplan.access import modes
from geoplan.access._snap import SegmentIndex
from geoplan.access.costs import CostTable, point_coordinates, start_table
from geoplan.io._atomic import atomic_path
from geoplan.places import precision
from geoplan.places.crs import metric_crs, require_metric

if TYPE_CHECKING:
    from pyproj import CRS
from geoplan.errors import CRSError, DataSourceError

logger = logging.getLogger(__name__)


@dataclass
class StreetNetwork:
    """
    A street network of one travel mode in a metric CRS.

    One edge row per street segment: a two-way street is one row; a one-way
    street (``oneway``) may be used only from ``u`` to ``v``, and only by a
    mode whose one-way rule binds (driving). Costs are ``length_m`` or
    ``travel_time_s`` at the mode's speeds.

    Attributes
    ----------
    nodes
        Node points indexed by node id (osmnx's ids for OSM files).
    edges
        Columns ``u``, ``v`` (node ids), ``length_m``, ``oneway``,
        ``travel_time_s`` and line geometry; the last three are filled in
        (two-way, at the mode's default speed) when missing.
    source
        Where the network came from (a file name, or ``"grid"`` in tests).
    mode
        The travel mode (:mod:`geoplan.access.modes`) it was built for.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    source: str = ""
    mode: str = "walk"
    _matrices: dict[str, csr_array] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """Check the CRS and that every edge ends at known nodes."""
        require_metric(self.nodes, self.edges)
        travel = modes.get(self.mode)
        missing = {
            "oneway": False,
            "travel_time_s": lambda e: e["length_m"] / travel.speed_m_s,
        }
        missing = {k: v for k, v in missing.items() if k not in self.edges}
        if missing:  # a new frame: the caller's is left as it was
            self.edges = self.edges.assign(**missing)
        if self.edges["oneway"].dtype != bool:
            self.edges = self.edges.assign(oneway=self.edges["oneway"].eq(True))
        u, v = self.edge_nodes
        unknown = (u < 0) | (v < 0)
        if unknown.any():
            msg = f"{unknown.sum()} edges end at nodes missing from `nodes`."
            raise ValueError(msg)

    @property
    def crs(self) -> CRS:
        """
        The network's metric CRS.

        Returns
        -------
        CRS
            The CRS of the nodes (metric).
        """
        return self.nodes.crs

    @cached_property
    def edge_nodes(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """
        Return the positions of each edge's end nodes in `nodes`.

        Returns
        -------
        tuple[NDArray[np.int64], NDArray[np.int64]]
            Row positions of each edge's ``u`` and ``v`` node.
        """
        index = self.nodes.index
        if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
            u, v = self.edges["u"].to_numpy(), self.edges["v"].to_numpy()
            if u.dtype.kind == "i" and v.dtype.kind == "i":  # ids are positions
                n = len(index)
                return np.where((u >= 0) & (u < n), u, -1), np.where(
                    (v >= 0) & (v < n), v, -1
                )
        return index.get_indexer(self.edges["u"]), index.get_indexer(self.edges["v"])

    @cached_property
    def component(self) -> NDArray[np.int64]:
        """
        Connected-component label of each node.

        Returns
        -------
        NDArray[np.int64]
            One label per node; nodes sharing a label are connected.
        """
        _, labels = connected_components(self.matrix(), directed=False)
        return labels

    @property
    def directed(self) -> bool:
        """
        Whether direction matters: the mode binds one-way streets and has some.

        Returns
        -------
        bool
            True for a driving network with one-way streets.
        """
        return modes.get(self.mode).oneway and bool(self.edges["oneway"].any())

    @cached_property
    def _segments(self) -> SegmentIndex:
        return SegmentIndex(self.edges.geometry.to_numpy())

    def matrix(self, weight: str = "length_m", *, towards: bool = False) -> csr_array:
        """
        Return the network as a sparse adjacency matrix of one cost.

        Built once per cost and cached: treat the frames of a network as
        read-only.

        Parameters
        ----------
        weight
            ``"length_m"`` (metres) or ``"travel_time_s"`` (seconds).
        towards
            Directed networks: every arc reversed, so that a search from
            targets gives the costs of travelling *to* them.

        Returns
        -------
        scipy.sparse.csr_array
            Entry ``[a, b]`` is the cheapest way from ``a`` to ``b`` (both
            ways on undirected networks), searched with ``directed=True``:
            csgraph then neither transposes nor copies the matrix per search.
        """
        key = f"{weight}{'<' if towards and self.directed else ''}"
        if key in self._matrices:
            return self._matrices[key]
        u, v = self.edge_nodes
        w = self.edges[weight].to_numpy(dtype=float)
        if not self.directed:
            built = _csr(u, v, w, len(self.nodes))
        else:
            both = ~self.edges["oneway"].to_numpy()
            a, b = np.concatenate([u, v[both]]), np.concatenate([v, u[both]])
            if towards:
                a, b = b, a
            built = _arcs(a, b, np.concatenate([w, w[both]]), len(self.nodes))
        self._matrices[key] = built
        return built


def _csr(
    u: NDArray[np.int64], v: NDArray[np.int64], w: NDArray[np.float64], n: int
) -> csr_array:
    """Undirected adjacency as arcs both ways: min over parallel edges, no loops."""
    return _arcs(np.concatenate([u, v]), np.concatenate([v, u]), np.r_[w, w], n)


def _arcs(
    a: NDArray[np.int64], b: NDArray[np.int64], w: NDArray[np.float64], n: int
) -> csr_array:
    """Directed adjacency from arc arrays: min over parallel arcs, no loops."""
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    matrix = csr_array((w, (a, b)), shape=(n, n))  # sums parallel arcs
    if matrix.nnz != len(a):  # there were some: keep the cheapest of each
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        matrix = csr_array((w[first], (a[first], b[first])), shape=(n, n))
    if matrix.nnz < 2**31 - 1:  # csgraph's own index type: no copy per search
        matrix.indices = matrix.indices.astype(np.int32)
        matrix.indptr = matrix.indptr.astype(np.int32)
    return matrix


def network_from_frames(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    *,
    source: str = "frames",
    mode: str = "walk",
) -> StreetNetwork:
    """
    Build a network from node and edge frames, projecting to metres if needed.

    Parameters
    ----------
    nodes
        Node points indexed by node id.
    edges
        Edges with ``u``, ``v`` and line geometry; ``length_m`` is measured
        in the metric CRS. Optional: ``oneway`` (usable only from ``u`` to
        ``v``), and ``highway``/``maxspeed`` for the mode's speeds.
    source
        A label for reports.
    mode
        The travel mode whose speeds and one-way rule apply.

    Returns
    -------
    StreetNetwork
        The network in a metric CRS, with ``travel_time_s`` per edge.
    """
    if nodes.crs is None or edges.crs is None:
        msg = "Network nodes and edges must declare a CRS."
        raise CRSError(msg)
    if nodes.crs.is_geographic:
        target = metric_crs(nodes)
        nodes, edges = nodes.to_crs(target), edges.to_crs(target)
    travel = modes.get(mode)
    tags = [c for c in ("highway", "maxspeed") if c in edges]
    speed = _speeds(edges[tags], travel) if tags else travel.speed_m_s
    oneway = edges.get("oneway", False)
    edges = edges[["u", "v", "geometry"]].copy()
    edges["length_m"] = edges.geometry.length.to_numpy()
    edges["oneway"] = np.asarray(oneway, dtype=bool) & travel.oneway
    edges["travel_time_s"] = edges["length_m"] / speed
    edges = edges.reset_index(drop=True)
    return StreetNetwork(nodes[["geometry"]], edges, source, mode)


def _speeds(tags: pd.DataFrame, mode: modes.Mode) -> NDArray[np.float64]:
    """Speed of each edge (m/s) from its highway class and maxspeed tags."""
    texts = [tags[c].astype(object).map(str) for c in tags]  # lists as text
    keys = texts[0]
    for text in texts[1:]:  # column by column: 200x faster than row by row
        keys = keys + "|" + text
    first = ~keys.duplicated()
    known = {
        key: mode.speeds_m_s(row.get("highway"), row.get("maxspeed"))
        for key, row in zip(keys[first], tags[first].to_dict("records"), strict=True)
    }
    return keys.map(known).to_numpy(dtype=float)


def network_from_graph(
    graph: object, *, source: str = "networkx graph", mode: str = "walk"
) -> StreetNetwork:
    """
    Build a network from an osmnx/networkx graph with node ``x``/``y``.

    Parameters
    ----------
    graph
        A graph as returned by osmnx (``graph.graph["crs"]`` declared).
    source
        A label for reports (the file or place the graph came from).
    mode
        The travel mode whose speeds and one-way rule apply.

    Returns
    -------
    StreetNetwork
        The graph's streets in a metric CRS: a street drawn both ways is one
        two-way edge, one drawn one way only is a one-way edge.
    """
    import osmnx as ox

    nodes, edges = ox.graph_to_gdfs(graph)
    edges = edges.reset_index()
    tags = [c for c in ("highway", "maxspeed") if c in edges]
    columns = ["u", "v", "length", "geometry", *tags]
    return network_from_frames(
        nodes, _segments(edges[columns]), source=source, mode=mode
    )


def _segments(arcs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per street from directed arcs; one drawn one way only is one-way."""
    a = np.minimum(arcs["u"].to_numpy(), arcs["v"].to_numpy())
    b = np.maximum(arcs["u"].to_numpy(), arcs["v"].to_numpy())
    length = np.round(arcs["length"].to_numpy(dtype=float), 1)  # osmnx's metres
    street = pd.Series(list(zip(a, b, length, strict=True)), index=arcs.index)
    forward = arcs["u"].to_numpy() <= arcs["v"].to_numpy()
    ways = pd.DataFrame({"street": street, "forward": forward})
    ways["two_way"] = ways.groupby("street")["forward"].transform("nunique") == 2
    # a two-way street once (its forward arc), every one-way arc as drawn
    first = ways[ways["two_way"]].sort_values("forward", ascending=False, kind="stable")
    chosen = first.drop_duplicates("street").index
    keep = (~ways["two_way"] | ways.index.isin(chosen)).to_numpy()
    out = arcs[keep].copy()
    out["oneway"] = ~ways["two_way"].to_numpy()[keep]
    return out


def _file_digest(path: Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def network_from_osm(
    path: Path | str,
    *,
    mode: str = "walk",
    cache_folder: Path | None = None,
    use_cache: bool = True,
) -> StreetNetwork:
    """
    Read a street network from a local OSM file, cached after the first build.

    ``.osm``/``.osm.bz2``/``.xml`` files are read with osmnx
    (``graph_from_xml(..., retain_all=True)``, so disconnected fragments are
    kept) and their ways filtered by the travel mode
    (:mod:`geoplan.access.modes`); ``.osm.pbf`` files with pyrosm's network of
    the same mode.

    Parameters
    ----------
    path
        The OSM file.
    mode
        A travel mode of :func:`geoplan.access.modes.available`: ``"walk"``,
        ``"drive"`` or ``"all"``.
    cache_folder
        Where the built network is cached as a GeoPackage; default
        ``settings.cache_folder``.
    use_cache
        Read and write the cache.

    Returns
    -------
    StreetNetwork
        The network in the UTM zone of its area.
    """
    path = Path(path)
    travel = modes.get(mode)
    if not path.is_file():
        msg = f"{path}: OSM file not found."
        raise DataSourceError(msg)
    folder = Path(cache_folder or settings.cache_folder)
    cached = folder / f"network-{path.name}-{_file_digest(path)}-{mode}-v3.gpkg"
    if use_cache and cached.is_file():
        nodes = pyogrio.read_dataframe(cached, layer="nodes").set_index("node_id")
        edges = pyogrio.read_dataframe(cached, layer="edges")
        logger.info("Read cached network %s", cached)
        return StreetNetwork(nodes, edges, f"{path.name} (cached)", mode)
    network = _read_osm(path, travel)
    logger.info(
        "Built network from %s: %d nodes, %d edges",
        path.name,
        len(network.nodes),
        len(network.edges),
    )
    if use_cache:
        folder.mkdir(parents=True, exist_ok=True)
        nodes = network.nodes.rename_axis("node_id").reset_index()
        with atomic_path(cached, suffix=".gpkg") as tmp:  # a killed run leaves none
            pyogrio.write_dataframe(nodes, tmp, layer="nodes", driver="GPKG")
            pyogrio.write_dataframe(network.edges, tmp, layer="edges", driver="GPKG")
    return network


def _read_osm(path: Path, mode: modes.Mode) -> StreetNetwork:
    """Build the network of an OSM file; a file that is not one says so."""
    fix = "export the area again as .osm, .osm.bz2 or .osm.pbf"
    if path.name.endswith(".pbf"):
        try:
            return _from_pbf(path, mode)
        except DataSourceError:
            raise
        except Exception as error:  # pyrosm's own and its parser's errors
            msg = f"{path}: not a readable OSM PBF file ({error}); {fix}."
            raise DataSourceError(msg) from None
    from xml.etree.ElementTree import ParseError

    import osmnx as ox

    try:
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except (ParseError, UnicodeDecodeError, OSError, EOFError) as error:
        msg = f"{path}: not well-formed OSM XML ({error}); {fix}."
        raise DataSourceError(msg) from None
    except KeyError as error:
        msg = f"{path}: an OSM node has no {error} coordinate; {fix}."
        raise DataSourceError(msg) from None
    except ValueError as error:  # osmnx: no OSM elements, ways with missing nodes
        msg = f"{path}: not a usable OSM extract ({error}); {fix}."
        raise DataSourceError(msg) from None
    if graph.number_of_edges() == 0:
        msg = (
            f"{path}: no streets in this OSM extract ({graph.number_of_nodes()} "
            "nodes, no ways with a highway tag); export an area with streets."
        )
        raise DataSourceError(msg)
    # filtered before simplifying: a simplified edge merges ways of any tags
    barred = [
        (u, v, k) for u, v, k, tags in graph.edges(keys=True, data=True)
        if not mode.allows(tags)
    ]  # fmt: skip
    graph.remove_edges_from(barred)
    if graph.number_of_edges() == 0:
        msg = (
            f"{path}: none of its streets may be used by mode {mode.id!r}; "
            "choose another --mode."
        )
        raise DataSourceError(msg)
    graph.remove_nodes_from([n for n, degree in graph.degree() if degree == 0])
    graph = ox.simplify_graph(graph)
    return network_from_graph(graph, source=f"{path.name} ({mode.id})", mode=mode.id)


def _from_pbf(path: Path, mode: modes.Mode) -> StreetNetwork:
    try:
        import pyrosm
    except ModuleNotFoundError as exc:
        msg = "Reading .osm.pbf needs pyrosm: pip install pyrosm"
        raise DataSourceError(msg) from exc
    nodes, edges = pyrosm.OSM(str(path)).get_network(
        network_type=mode.pyrosm_network, nodes=True
    )
    nodes = nodes.set_index("id")[["geometry"]]
    tags = [c for c in ("highway", "maxspeed", "oneway", "junction") if c in edges]
    edges = edges[["u", "v", "geometry", *tags]].explode(index_parts=False)
    return network_from_frames(
        nodes, _directions(edges), source=path.name, mode=mode.id
    )


def _directions(ways: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Read OSM one-way tags: ``oneway`` yes/true/1, -1 (reversed), roundabouts."""
    blank = pd.Series("", index=ways.index)
    tag = ways.get("oneway", blank).astype("string").str.lower().fillna("")
    roundabout = ways.get("junction", blank).astype("string").eq("roundabout")
    backward = tag.eq("-1").to_numpy()
    out = ways.assign(
        oneway=(tag.isin(["yes", "true", "1", "-1"]) | roundabout.fillna(False))
    )
    out.loc[backward, ["u", "v"]] = out.loc[backward, ["v", "u"]].to_numpy()
    out.loc[backward, "geometry"] = shapely.reverse(out.geometry[backward].to_numpy())
    return out


@dataclass(frozen=True)
class _Snap:
    edge: NDArray[np.int64]
    fraction: NDArray[np.float64]
    access_m: NDArray[np.float64]
    xy: NDArray[np.float64]  # the points themselves (metric)

    def take(self, keep: NDArray[np.bool_]) -> _Snap:
        """Keep some points."""
        return _Snap(
            self.edge[keep], self.fraction[keep], self.access_m[keep], self.xy[keep]
        )


def snap_to_edges(network: StreetNetwork, xy: NDArray[np.float64]) -> _Snap:
    """
    Snap points (metric x/y) to their nearest edge: edge, position, access.

    Parameters
    ----------
    network
        The street network.
    xy
        Metric x/y of the points, one row each.

    Returns
    -------
    _Snap
        Per point: the edge, the position along it (0-1) and the access
        distance in metres.
    """
    index = network._segments
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    edge, along, access = index.nearest(xy)
    length = index.length_m[edge]
    fraction = np.divide(along, length, out=np.zeros_like(along), where=length > 0)
    fraction[fraction > 1.0 - 1e-12] = 1.0  # at an end: the node, not a sliver
    fraction[fraction < 1e-12] = 0.0
    return _Snap(edge, fraction, access, xy)


_Edges = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


class _Pieces(NamedTuple):
    """Street pieces after splitting: from, to, cost, one-way (from -> to only)."""

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    w: NDArray[np.float64]
    oneway: NDArray[np.bool_]


@dataclass(frozen=True)
class _Split:
    """Streets split at snapped points, for any cost: pieces as shares of edges."""

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    edge: NDArray[np.int64]  # the street each piece is part of
    share: NDArray[np.float64]  # the part of that street's cost it carries
    oneway: NDArray[np.bool_]
    n_nodes: int  # nodes and stops
    per_snap: list[NDArray[np.int64]]  # each snapped point's node

    def pieces(self, network: StreetNetwork, weight: str) -> _Pieces:
        """Return the pieces with their cost in `weight`."""
        cost = network.edges[weight].to_numpy(dtype=float)
        return _Pieces(self.a, self.b, self.share * cost[self.edge], self.oneway)


def _split(network: StreetNetwork, snaps: list[_Snap]) -> _Split:
    """Split snapped edges at the snap points, for all edges at once."""
    u, v = network.edge_nodes
    oneway = network.edges["oneway"].to_numpy(dtype=bool) & network.directed
    n_nodes = len(network.nodes)
    edge = np.concatenate([s.edge for s in snaps])
    frac = np.concatenate([s.fraction for s in snaps])
    node = np.where(frac <= 0.0, u[edge], v[edge])
    inner = (frac > 0.0) & (frac < 1.0)
    # the distinct stops (edge, position), in order along each edge
    order = np.lexsort((frac[inner], edge[inner]))
    e_all, at_all = edge[inner][order], frac[inner][order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (e_all[1:] != e_all[:-1]) | (at_all[1:] != at_all[:-1])
    stop_of = np.empty(len(order), dtype=np.int64)
    stop_of[order] = np.cumsum(new) - 1
    e, at = e_all[new], at_all[new]
    p = n_nodes + np.arange(len(e))
    node[inner] = p[stop_of]
    # each split edge becomes u - p1 - ... - pk - v
    first, last = np.ones(len(e), dtype=bool), np.ones(len(e), dtype=bool)
    first[1:] = last[:-1] = e[1:] != e[:-1]
    before = np.where(first, u[e], np.roll(p, 1))
    since = np.where(first, 0.0, np.roll(at, 1))
    keep = np.ones(len(u), dtype=bool)
    keep[e] = False
    whole = np.flatnonzero(keep)
    pieces_edge = np.concatenate([whole, e, e[last]])
    parts = np.cumsum([0, *(len(s.edge) for s in snaps)])
    return _Split(
        np.concatenate([u[keep], before, p[last]]),
        np.concatenate([v[keep], p, v[e[last]]]),
        pieces_edge,
        np.concatenate([np.ones(len(whole)), at - since, 1.0 - at[last]]),
        oneway[pieces_edge],
        n_nodes + len(e),
        [node[parts[i] : parts[i + 1]] for i in range(len(snaps))],
    )


def _augment(
    network: StreetNetwork, snaps: list[_Snap], weight: str = "length_m"
) -> tuple[_Pieces, int, list[NDArray[np.int64]]]:
    """Split snapped edges at the snap points: pieces, node count, node per snap."""
    split = _split(network, snaps)
    return split.pieces(network, weight), split.n_nodes, split.per_snap


def _towards(
    pieces: _Pieces, n: int, *, directed: bool, extra: _Edges | None = None
) -> csr_array:
    """
    Return the matrix a search from targets runs on to give costs *to* them.

    Undirected: the pieces both ways. Directed: every usable arc reversed (a
    one-way piece a -> b becomes b -> a only; a two-way one both ways).
    `extra` arcs are added as given, already in the search's direction.
    """
    a, b, w, oneway = pieces
    two = ~oneway if directed else np.ones(len(a), dtype=bool)
    arcs = [(b, a, w), (a[two], b[two], w[two])]
    if extra is not None:
        arcs.append(extra)
    a_all, b_all, w_all = (np.concatenate(column) for column in zip(*arcs, strict=True))
    return _arcs(a_all, b_all, w_all, n)


class _Search(NamedTuple):
    """The graph a search *to* facilities runs on, with its ends, in one cost."""

    graph: csr_array
    source: NDArray[np.int64]  # each located facility's node
    d_node: NDArray[np.int64]  # each located demand point's node
    d_access: NDArray[np.float64]  # its walk to the street (inf: off the network)
    owner: pd.Series  # source node -> facility position

    @classmethod
    def build(
        cls,
        network: StreetNetwork,
        split: _Split,
        d_snap: _Snap,
        f_snap: _Snap,
        far_d: NDArray[np.bool_],
        weight: str,
        f_pos: NDArray[np.int64],
    ) -> _Search:
        """Hang the facilities on the split streets, in one cost."""
        off_speed = (
            1.0
            if weight == "length_m"
            else modes.get(network.mode).off_network_speed_m_s
        )
        pieces, n_total = split.pieces(network, weight), split.n_nodes
        d_node, f_node = split.per_snap
        d_access = d_snap.access_m / off_speed  # the walk to the street, in the unit
        d_access[far_d] = np.inf
        # facilities hang off their snap node by their access leg, both ways
        pendant = f_snap.access_m > 0
        source = f_node.copy()
        source[pendant] = n_total + np.arange(pendant.sum())
        pieces = _Pieces(
            np.concatenate([pieces.a, f_node[pendant]]),
            np.concatenate([pieces.b, source[pendant]]),
            np.concatenate([pieces.w, f_snap.access_m[pendant] / off_speed]),
            np.concatenate([pieces.oneway, np.zeros(int(pendant.sum()), dtype=bool)]),
        )
        n_total += int(pendant.sum())
        # a demand point off the same street as an off-street facility may also
        # walk straight to it: such a point gets a node of its own, hung off its
        # street by its access leg and joined to the facility by the straight line
        # (a start only: the search reaches it but never goes on through it, so
        # no one else's way runs through a demand point)
        d_idx, f_idx = _same_street(d_snap, f_snap, far_d)
        starts = None
        if len(d_idx):
            mine = np.unique(d_idx)
            hub = np.full(len(d_node), -1)
            hub[mine] = n_total + np.arange(len(mine))
            straight = np.hypot(*(d_snap.xy[d_idx] - f_snap.xy[f_idx]).T)
            starts = (  # in the search's direction: from the street, the facility
                np.concatenate([d_node[mine], source[f_idx]]),
                np.concatenate([hub[mine], hub[d_idx]]),
                np.concatenate([d_access[mine], straight / off_speed]),
            )
            n_total += len(mine)
            d_node, d_access = d_node.copy(), d_access.copy()
            d_node[mine], d_access[mine] = hub[mine], 0.0
        graph = _towards(pieces, n_total, directed=network.directed, extra=starts)
        owner = pd.Series(f_pos, index=source).groupby(level=0).first()
        return cls(graph, source, d_node, d_access, owner)

    def nearest(self) -> NDArray[np.float64]:
        """Each located demand point's cost to its nearest facility."""
        dist = dijkstra(
            self.graph,
            directed=True,  # arcs as stored: both ways where the street is two-way
            indices=self.owner.index.to_numpy(),
            min_only=True,
        )
        return dist[self.d_node] + self.d_access


#: A point nearer its street than this (metres) is on it.
OFF_STREET_M = 0.01


def _same_street(
    d_snap: _Snap, f_snap: _Snap, far_d: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """
    Every (demand, facility) pair off the same street, both off it.

    Two such points (a home and a day-care centre in one compound, say) may go
    straight from one to the other on foot; a point on the street goes by the
    street, where a one-way street binds a car.
    """
    off = OFF_STREET_M
    order = np.flatnonzero(f_snap.access_m > off)
    order = order[np.argsort(f_snap.edge[order], kind="stable")]
    edges = f_snap.edge[order]
    near = np.flatnonzero(~far_d & (d_snap.access_m > off))
    low = np.searchsorted(edges, d_snap.edge[near], "left")
    count = np.searchsorted(edges, d_snap.edge[near], "right") - low
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(near, count), order[np.repeat(low, count) + offset]


def _off_network(
    travel: modes.Mode, d_snap: _Snap, f_snap: _Snap, f_ok: NDArray[np.bool_]
) -> tuple[_Snap, NDArray[np.bool_]]:
    """
    Drop facilities, and mark demand, farther from every street than the mode walks.

    Such points lie beyond the extract or in a gap of it: they are not reached
    along this network (the facilities leave `f_ok`; the demand is unreachable).
    """
    far_f = f_snap.access_m > travel.max_off_network_m
    far_d = d_snap.access_m > travel.max_off_network_m
    if far_f.any() or far_d.any():
        f_ok[np.flatnonzero(f_ok)[far_f]] = False
        logger.warning(
            "%d facilities and %d demand points lie more than %g m from every "
            "street of the %s network (its extent or a gap in the extract): they "
            "are not reached along it",
            int(far_f.sum()),
            int(far_d.sum()),
            travel.max_off_network_m,
            travel.id,
        )
    near = ~far_f
    return f_snap.take(near), far_d


def network_costs(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network: StreetNetwork,
    *,
    cutoff_m: float | None = None,
    cutoff_s: float | None = None,
    with_pairs: bool = False,
) -> CostTable:
    """
    Measure street-network costs from demand points to facilities.

    Costs are access (straight line to the nearest edge) + along the network
    + access at the facility, in metres (`cutoff_m`) or in seconds
    (`cutoff_s`: the access legs at the mode's off-network speed, the streets
    at its speeds). On a driving network one-way streets bind. Points are
    projected to the network's CRS.

    Parameters
    ----------
    demand
        Demand points in any declared CRS.
    facilities
        Facility points in the same CRS as `demand`.
    network
        The street network.
    cutoff_m, cutoff_s
        The reach, in metres or in seconds (give one): counts and pairs are
        kept within it, and it sets the table's unit.
    with_pairs
        Also return every demand–facility pair within the reach.

    Returns
    -------
    CostTable
        With extra columns ``access_m`` and ``network_component`` per demand.

    Raises
    ------
    ValueError
        Unless exactly one of `cutoff_m` and `cutoff_s` is given.
    """
    if (cutoff_m is None) == (cutoff_s is None):
        msg = "Give the reach as `cutoff_m` (metres) or `cutoff_s` (seconds)."
        raise ValueError(msg)
    unit: Literal["m", "s"] = "s" if cutoff_s is not None else "m"
    cutoff = float(next(c for c in (cutoff_s, cutoff_m) if c is not None))
    weight = "length_m" if unit == "m" else "travel_time_s"
    travel = modes.get(network.mode)
    if demand.crs is None or facilities.crs is None:
        msg = "Both `demand` and `facilities` must declare a CRS."
        raise CRSError(msg)
    demand_m, facilities_m = demand.to_crs(network.crs), facilities.to_crs(network.crs)
    d_xy, d_ok = point_coordinates(demand_m, role="demand")
    f_xy, f_ok = point_coordinates(facilities_m, role="facilities")
    d_snap = snap_to_edges(network, d_xy[d_ok])
    f_snap = snap_to_edges(network, f_xy[f_ok])
    f_snap, far_d = _off_network(travel, d_snap, f_snap, f_ok)
    f_pos = np.flatnonzero(f_ok)
    split = _split(network, [d_snap, f_snap])
    search = _Search.build(network, split, d_snap, f_snap, far_d, weight, f_pos)
    graph, source, d_node, d_access, owner = search

    table = start_table(
        demand_m, facilities_m, d_ok, cutoff, "network", with_pairs=with_pairs,
        unit=unit,
    )  # fmt: skip
    n = len(demand)
    access = np.full(n, np.nan)
    access[d_ok] = d_snap.access_m
    component = np.full(n, -1, dtype=np.int64)
    _, labels = connected_components(graph, directed=False)
    component[d_ok] = labels[d_node]
    # the other cost to the nearest facility, on the same snapped points
    other = "travel_time_s" if unit == "m" else "length_m"
    other_cost = np.where(d_ok, np.inf, np.nan)
    if len(f_pos) and d_ok.any():
        other_cost[d_ok] = _Search.build(
            network, split, d_snap, f_snap, far_d, other, f_pos
        ).nearest()
    table = replace(
        table,
        extra={
            "access_m": access,
            "network_component": component,
            _WEIGHTS[other]: other_cost,
        },
    )
    if len(f_pos) and d_ok.any():
        dist, _, nearest_src = dijkstra(
            graph,
            directed=True,
            indices=owner.index.to_numpy(),
            min_only=True,
            return_predecessors=True,
        )
        reached = np.isfinite(dist[d_node] + d_access)
        located = np.flatnonzero(d_ok)
        table.nearest[located] = dist[d_node] + d_access
        table.nearest_pos[located[reached]] = owner.loc[nearest_src[d_node[reached]]]
        # a node within the cutoff of some facility is no farther from the
        # nearest; the paths to it stay among such nodes: search only them
        keep = np.flatnonzero(dist <= cutoff)
        inside = dist[d_node] <= cutoff
        counts, pairs = _within(
            _induced(graph, keep),
            np.searchsorted(keep, source),
            f_pos,
            np.searchsorted(keep, d_node[inside]),
            d_access[inside],
            located[inside],
            n,
            cutoff,
            with_pairs=with_pairs,
        )
        table = replace(table, within_count=counts, pairs=pairs)
    logger.info(
        "Network costs: %d demand x %d facilities, %d unreachable, %d not located",
        n,
        len(f_pos),
        int(np.isinf(table.nearest).sum()),
        int((~d_ok).sum()),
    )
    return table


def assigned_costs(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    assignment: pd.Series,
    network: StreetNetwork,
) -> pd.DataFrame:
    """
    Measure each demand point's way to the facility it is assigned to.

    For plans that name the facility each unit uses (a site 挂靠 a village's
    cemetery) rather than leaving it to the nearest one. Both ends are snapped
    once to their street; the legs off the street count at the mode's
    off-network speed in the time; on a driving network one-way streets bind.

    Parameters
    ----------
    demand
        Demand points (any declared CRS).
    facilities
        Facility points, indexed by the labels `assignment` uses.
    assignment
        Facility label per demand point (NA for none), aligned to `demand`.
    network
        The street network of a travel mode.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``demand.index``: ``dist_to_assigned_m``,
        ``time_to_assigned_s`` (blank where not measured) and
        ``assigned_status``: ``reached``, ``unreachable`` (no way along the
        streets, or an end farther from every street than the mode walks),
        ``not_located`` (the point or its facility has no location) or
        ``not_assigned``.
    """
    if demand.crs is None or facilities.crs is None:
        msg = "Both `demand` and `facilities` must declare a CRS."
        raise CRSError(msg)
    n = len(demand)
    out = pd.DataFrame(
        {
            "dist_to_assigned_m": np.full(n, np.nan),
            "time_to_assigned_s": np.full(n, np.nan),
            "assigned_status": "not_located",
        },
        index=demand.index,
    )
    label = assignment.reindex(demand.index)
    out.loc[label.isna().to_numpy(), "assigned_status"] = "not_assigned"
    d_xy, d_ok = point_coordinates(demand.to_crs(network.crs), role="demand")
    f_xy, f_ok = point_coordinates(facilities.to_crs(network.crs), role="facilities")
    which = facilities.index.get_indexer(label.fillna("").to_numpy())
    rows = np.flatnonzero(d_ok & (which >= 0) & label.notna().to_numpy())
    rows = rows[f_ok[which[rows]]]
    if not len(rows):
        return out
    d_snap = snap_to_edges(network, d_xy[rows])
    f_snap = snap_to_edges(network, f_xy[f_ok])
    travel = modes.get(network.mode)
    far_f = f_snap.access_m > travel.max_off_network_m  # kept: their rows are unreached
    far_d = d_snap.access_m > travel.max_off_network_m
    split = _split(network, [d_snap, f_snap])
    # each row's facility, as a position among the located facilities
    f_local = np.cumsum(f_ok) - 1
    target = f_local[which[rows]]
    for weight, column in (
        ("length_m", "dist_to_assigned_m"),
        ("travel_time_s", "time_to_assigned_s"),
    ):
        search = _Search.build(
            network, split, d_snap, f_snap, far_d, weight, np.flatnonzero(f_ok)
        )
        cost = np.full(len(rows), np.inf)
        wanted = np.unique(target[~far_f[target]])
        for start in range(0, len(wanted), 16):
            block = wanted[start : start + 16]
            dist = dijkstra(search.graph, directed=True, indices=search.source[block])
            for k, f in enumerate(block):
                mine = np.flatnonzero(target == f)
                cost[mine] = dist[k, search.d_node[mine]] + search.d_access[mine]
        reached = np.isfinite(cost)
        out.iloc[rows[reached], out.columns.get_loc(column)] = cost[reached]
    status = np.where(np.isfinite(out["dist_to_assigned_m"].to_numpy()[rows]),
                      "reached", precision.UNREACHABLE)  # fmt: skip
    out.iloc[rows, out.columns.get_loc("assigned_status")] = status
    return out


def _within(  # noqa: PLR0913
    graph: csr_array,
    source: NDArray[np.int64],
    f_pos: NDArray[np.int64],
    d_node: NDArray[np.int64],
    d_access: NDArray[np.float64],
    located: NDArray[np.int64],
    n: int,
    cutoff: float,
    *,
    with_pairs: bool,
    chunk: int = 16,
) -> tuple[NDArray[np.int64], _Edges | None]:
    """Count (and optionally list) facilities within `cutoff`, chunked."""
    counts = np.zeros(n, dtype=np.int64)
    rows, cols, costs = [], [], []
    # the demand points at each node, to expand the (facility, node) pairs reached
    by_node = np.argsort(d_node, kind="stable")
    first = np.searchsorted(d_node[by_node], np.arange(graph.shape[0] + 1))
    for start in range(0, len(source), chunk):
        block = source[start : start + chunk]
        dist = dijkstra(graph, directed=True, indices=block, limit=cutoff)
        reached_f, reached_node = np.nonzero(dist <= cutoff)
        many = first[reached_node + 1] - first[reached_node]
        at = np.repeat(first[reached_node] - np.cumsum(many) + many, many)
        hit_d = by_node[at + np.arange(many.sum())]
        hit_f = np.repeat(reached_f, many)
        cost = np.repeat(dist[reached_f, reached_node], many) + d_access[hit_d]
        keep = cost <= cutoff
        hit_f, hit_d, cost = hit_f[keep], hit_d[keep], cost[keep]
        counts += np.bincount(located[hit_d], minlength=n)
        if with_pairs:
            rows.append(located[hit_d])
            cols.append(f_pos[start + hit_f])
            costs.append(cost)
    pairs = None
    if with_pairs:
        pairs = (
            np.concatenate(rows) if rows else np.array([], dtype=np.int64),
            np.concatenate(cols) if cols else np.array([], dtype=np.int64),
            np.concatenate(costs) if costs else np.array([], dtype=float),
        )
    return counts, pairs


def node_distances(
    network: StreetNetwork,
    source_nodes: list[object],
    *,
    limit_m: float = np.inf,
    weight: str = "length_m",
) -> pd.Series:
    """
    Return each node's network cost to the nearest of `source_nodes`.

    On a directed network (one-way streets that bind the mode) the cost is
    that of travelling from the node *to* a source, as a resident travels to
    a facility.

    Parameters
    ----------
    network
        The street network.
    source_nodes
        Node ids to measure to (facilities' nodes).
    limit_m
        Stop searching beyond this cost, in the unit of `weight` (farther
        nodes get ``inf``).
    weight
        ``"length_m"`` (metres) or ``"travel_time_s"`` (seconds at the mode's
        speeds).

    Returns
    -------
    pandas.Series
        ``dist_to_nearest_m`` or ``time_to_nearest_s``, indexed by node id.
    """
    positions = network.nodes.index.get_indexer(source_nodes)
    if (positions < 0).any():
        msg = "Some `source_nodes` are not nodes of the network."
        raise KeyError(msg)
    if weight not in _WEIGHTS:
        msg = f"`weight` must be one of {list(_WEIGHTS)}, got {weight!r}."
        raise ValueError(msg)
    dist = dijkstra(
        network.matrix(weight, towards=network.directed),  # arcs reversed: to sources
        directed=True,
        indices=positions,
        min_only=True,
        limit=limit_m,
    )
    return pd.Series(dist, index=network.nodes.index, name=_WEIGHTS[weight])


def _induced(matrix: csr_array, keep: NDArray[np.int64]) -> csr_array:
    """Return the sub-matrix of sorted node positions `keep`, renumbered 0..k-1."""
    start, stop = matrix.indptr[keep], matrix.indptr[keep + 1]
    count = stop - start
    at = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
    col = np.searchsorted(keep, matrix.indices[at]).clip(max=len(keep) - 1)
    inside = keep[col] == matrix.indices[at]
    row = np.repeat(np.arange(len(keep)), count)
    kept = np.bincount(row[inside], minlength=len(keep))
    indptr = np.r_[0, np.cumsum(kept)].astype(matrix.indptr.dtype)
    return csr_array(
        (matrix.data[at][inside], col[inside].astype(matrix.indices.dtype), indptr),
        shape=(len(keep), len(keep)),
    )


#: The costs a network carries, and the name of a node's cost to the nearest.
_WEIGHTS = {"length_m": "dist_to_nearest_m", "travel_time_s": "time_to_nearest_s"}
