"""The nearest-street index answers exactly what shapely's STRtree answers."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.access._snap import SegmentIndex

coordinate = st.floats(-1000, 1000, allow_nan=False).map(lambda v: round(v, 1))
line = st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=5)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(line, min_size=1, max_size=30),
    points=st.lists(
        st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)),
        min_size=1,
        max_size=40,
    ),
)
def test_nearest_line_distance_and_position_are_exact(lines, points):
    geoms = (
        shapely.linestrings(lines)
        if len({len(x) for x in lines}) == 1
        else (np.array([shapely.LineString(x) for x in lines], dtype=object))
    )
    xy = np.array(points, dtype=float)
    near = SegmentIndex(np.asarray(geoms, dtype=object)).nearest(xy)
    pts = shapely.points(xy)
    truth = shapely.distance(pts[:, None], np.asarray(geoms)[None, :]).min(axis=1)
    assert np.allclose(near.distance_m, truth, atol=1e-6)
    chosen = np.asarray(geoms)[near.line]
    assert np.allclose(shapely.distance(pts, chosen), truth, atol=1e-6)
    # the position is that of the nearest point on the chosen line
    on_line = shapely.line_interpolate_point(chosen, near.along_m)
    assert np.allclose(shapely.distance(pts, on_line), truth, atol=1e-6)


def test_two_parallel_streets_by_hand():
    # two parallel streets 100 m apart; a point between, one 5 km away
    index = SegmentIndex(
        np.array(
            [
                shapely.LineString([(0, 0), (100, 0)]),
                shapely.LineString([(0, 100), (100, 100)]),
            ],
            dtype=object,
        )
    )
    near = index.nearest(np.array([[30.0, 40.0], [50.0, 5100.0]]))
    assert near.line.tolist() == [0, 1]
    assert near.along_m.tolist() == [30.0, 50.0]
    assert near.distance_m.tolist() == [40.0, 5000.0]
