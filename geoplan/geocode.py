"""Place table rows on the map, stating per row the precision reached.

Precision levels, finest first: ``village``, ``town``, ``county``, ``city``,
``none``. A row that cannot be placed keeps its place in the output with
precision ``none``, an empty geometry and an explanation; no row is dropped.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .crs import WGS84

PRECISIONS = ("village", "town", "county", "city", "none")


def points_at_county(
    frame: pd.DataFrame, counties: gpd.GeoDataFrame, *, code_column: str = "county_code"
) -> gpd.GeoDataFrame:
    """
    Place each row at a representative point of its county.

    The point is guaranteed to lie inside the county polygon. All rows of one
    county share the point, so the precision is ``county``.

    Parameters
    ----------
    frame
        Rows to place, each with a six-digit county code.
    counties
        County polygons in WGS-84, as from :func:`geoplan.boundaries.counties`.
    code_column
        The column of `frame` that holds the county code.

    Returns
    -------
    geopandas.GeoDataFrame
        `frame` with point geometry (EPSG:4326), ``precision`` and
        ``precision_note`` columns, aligned to ``frame.index``.
    """
    anchors = counties.set_index("county_code").geometry.representative_point()
    codes = frame[code_column].astype(str)
    points = codes.map(anchors)
    found = points.notna()
    precision = pd.Series("none", index=frame.index).where(~found, "county")
    note = pd.Series(
        "county code not found in the county layer", index=frame.index
    ).where(~found, "representative point of the county polygon")
    return gpd.GeoDataFrame(
        frame.assign(precision=precision, precision_note=note),
        geometry=gpd.GeoSeries(points, index=frame.index, crs=WGS84),
        crs=WGS84,
    )
