"""Nearest street for many points at once, exact and vectorised.

The straight segments of the streets are registered in the cells of a
uniform grid that their bounding boxes touch. A point's candidates are the
segments of its own cell, then of the 3 x 3 cells around it: the nearest
candidate is the nearest segment as soon as it lies closer than the border of
the searched cells (a segment registered nowhere there lies wholly outside
them). Points still unproven (far from every street) ask shapely's STRtree.
Every step is a numpy operation over all points; no per-point Python.
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import numpy as np
import shapely
from numpy.typing import NDArray

#: The grid never has more cells than this (its offsets stay a few tens of MB).
_MAX_CELLS = 4_000_000


class Nearest(NamedTuple):
    """Per point: the nearest line, the metres along it, the distance to it."""

    line: NDArray[np.int64]
    along_m: NDArray[np.float64]
    distance_m: NDArray[np.float64]


class SegmentIndex:
    """
    Index the straight segments of lines for exact nearest-line queries.

    Parameters
    ----------
    lines
        Line geometries in a metric CRS.
    """

    def __init__(self, lines: NDArray[np.object_]) -> None:
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        inner = owner[1:] == owner[:-1]  # consecutive vertices of one line
        self.a = coords[:-1][inner]
        self.b = coords[1:][inner]
        self.line = owner[:-1][inner]
        length = np.hypot(*(self.b - self.a).T)
        # metres along the line before each segment: a running sum restarted per line
        run = np.cumsum(length) - length
        first = np.r_[True, self.line[1:] != self.line[:-1]]
        self.before_m = run - np.maximum.accumulate(np.where(first, run, 0.0))
        self.length_m = np.bincount(self.line, weights=length, minlength=len(lines))
        # per segment, flat: start, direction and squared length
        self._ax, self._ay = self.a[:, 0].copy(), self.a[:, 1].copy()
        self._dx, self._dy = self.b[:, 0] - self._ax, self.b[:, 1] - self._ay
        span = self._dx * self._dx + self._dy * self._dy
        self._span = np.where(span > 0, span, 1.0)  # a point: any t gives it
        self._grid()

    def _grid(self) -> None:
        """Register each segment in the cells its bounding box touches."""
        n = len(self.a)
        low, high = np.minimum(self.a, self.b), np.maximum(self.a, self.b)
        self.origin = low.min(axis=0) if n else np.zeros(2)
        extent = (high.max(axis=0) - self.origin) if n else np.ones(2)
        area = max(float(extent[0] * extent[1]), 1.0)
        self.cell_m = max(np.sqrt(area / max(n, 1)), np.sqrt(area / _MAX_CELLS), 1e-3)
        self.shape = (extent // self.cell_m).astype(np.int64) + 1
        i0 = ((low - self.origin) // self.cell_m).astype(np.int64)
        span = ((high - self.origin) // self.cell_m).astype(np.int64) - i0 + 1
        count = span[:, 0] * span[:, 1]
        segment = np.repeat(np.arange(n), count)
        k = np.arange(len(segment)) - np.repeat(np.cumsum(count) - count, count)
        ix = i0[segment, 0] + k // span[segment, 1]
        iy = i0[segment, 1] + k % span[segment, 1]
        key = ix * self.shape[1] + iy
        order = np.argsort(key, kind="stable")
        self.members = segment[order]
        self.starts = np.searchsorted(
            key[order], np.arange(self.shape[0] * self.shape[1] + 1)
        )

    def nearest(self, xy: NDArray[np.float64]) -> Nearest:
        """
        Find each point's nearest line, exactly.

        Parameters
        ----------
        xy
            Points, one (x, y) row each, in the lines' CRS.

        Returns
        -------
        Nearest
            Line position, metres along it and distance, per point.
        """
        n = len(xy)
        segment = np.zeros(n, dtype=np.int64)
        t = np.zeros(n)
        distance = np.full(n, np.inf)
        cell = ((xy - self.origin) // self.cell_m).astype(np.int64)
        inside = ((cell >= 0) & (cell < self.shape)).all(axis=1) & (len(self.a) > 0)
        todo = np.flatnonzero(inside)
        for size in (1, 2, 3):  # own cell; the 2 x 2 towards its nearest corner; 3 x 3
            if not len(todo):
                break
            low = cell[todo]
            if size == 2:
                within = xy[todo] - self.origin - low * self.cell_m
                low = low - (within < self.cell_m / 2)
            elif size == 3:
                low = low - 1
            got, done = self._search(xy[todo], low, size)
            segment[todo[done]], t[todo[done]], distance[todo[done]] = got
            todo = todo[~done]
        todo = np.union1d(todo, np.flatnonzero(~inside))
        if len(todo) and len(self.a):  # far from every street: ask the STRtree
            tree = self._tree
            which, seg = tree.query_nearest(shapely.points(xy[todo]), all_matches=False)
            segment[todo] = seg[np.argsort(which, kind="stable")]
            t[todo], distance[todo] = _project(
                xy[todo], self.a[segment[todo]], self.b[segment[todo]]
            )
        line = self.line[segment]
        along = self.before_m[segment] + t * np.hypot(*(self.b - self.a)[segment].T)
        return Nearest(line, along.clip(0.0, self.length_m[line]), distance)

    @cached_property
    def _tree(self) -> shapely.STRtree:
        """Shapely's tree of the segments, for points far from every street."""
        return shapely.STRtree(shapely.linestrings(np.stack([self.a, self.b], 1)))

    def _squared(
        self, px: NDArray[np.float64], py: NDArray[np.float64], seg: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Position (0-1) on each segment nearest each point, and squared distance."""
        ax, ay, dx, dy = self._ax[seg], self._ay[seg], self._dx[seg], self._dy[seg]
        px = px - ax
        py = py - ay
        t = (px * dx + py * dy) / self._span[seg]  # exactly 1 at the far end
        np.clip(t, 0.0, 1.0, out=t)
        px -= t * dx
        py -= t * dy
        return t, px * px + py * py

    def _search(
        self, xy: NDArray[np.float64], low: NDArray[np.int64], size: int
    ) -> tuple[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]],
               NDArray[np.bool_]]:  # fmt: skip
        """Nearest segment in a block of cells per point, and whether it is proven."""
        steps = np.arange(size)
        ix = (low[:, :1] + steps.repeat(size)[None, :]).clip(0, self.shape[0] - 1)
        iy = (low[:, 1:] + np.tile(steps, size)[None, :]).clip(0, self.shape[1] - 1)
        key = (ix * self.shape[1] + iy).ravel()
        first, count = self.starts[key], self.starts[key + 1] - self.starts[key]
        total = count.reshape(len(xy), -1).sum(axis=1)
        point = np.repeat(np.arange(len(xy)), total)
        offset = np.arange(len(point)) - np.repeat(np.cumsum(count) - count, count)
        seg = self.members[np.repeat(first, count) + offset]
        t, d2 = self._squared(
            np.repeat(xy[:, 0], total), np.repeat(xy[:, 1], total), seg
        )
        has = total > 0
        best2 = np.full(len(xy), np.inf)
        best2[has] = np.minimum.reduceat(d2, (np.cumsum(total) - total)[has])
        at_best = np.flatnonzero(d2 == np.repeat(best2, total))
        first = np.ones(len(at_best), dtype=bool)
        first[1:] = point[at_best][1:] != point[at_best][:-1]
        ties = np.bincount(point[at_best], minlength=len(xy))[point[at_best]] > 1
        if ties.any():  # a point on a node: prefer a street that ends there
            tied = at_best[ties]
            at_end = (t[tied] == 0.0) | (t[tied] == 1.0)
            tied = tied[np.lexsort((~at_end, point[tied]))]
            lead = np.ones(len(tied), dtype=bool)
            lead[1:] = point[tied][1:] != point[tied][:-1]
            at_best = np.r_[at_best[~ties], tied[lead]]
            at_best = at_best[np.argsort(point[at_best], kind="stable")]
            first = np.ones(len(at_best), dtype=bool)
            first[1:] = point[at_best][1:] != point[at_best][:-1]
        pick = at_best[first]
        # the border of the block: no segment registered elsewhere lies closer
        within = xy - self.origin - low * self.cell_m
        border = np.minimum(within, size * self.cell_m - within).min(axis=1)
        best = np.sqrt(best2)
        proven = has & (best <= border)
        chosen = np.zeros(len(xy), dtype=np.int64), np.zeros(len(xy))
        chosen[0][has], chosen[1][has] = seg[pick], t[pick]
        return (chosen[0][proven], chosen[1][proven], best[proven]), proven


def _project(
    p: NDArray[np.float64], a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Position (0-1) of the nearest point of segment a-b to p, and the distance."""
    ab = b - a
    span = np.einsum("...i,...i->...", ab, ab)
    t = np.divide(
        np.einsum("...i,...i->...", p - a, ab),
        span,
        out=np.zeros_like(span),
        where=span > 0,
    ).clip(0.0, 1.0)
    gap = p - (a + t[..., None] * ab)
    return t, np.hypot(gap[..., 0], gap[..., 1])
