"""Geometry facts every layer asks of a frame."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


def has_location(frame: gpd.GeoDataFrame) -> pd.Series:
    """Return the mask of rows whose geometry is neither missing nor empty."""
    return ~(frame.geometry.isna() | frame.geometry.is_empty)


def lonlat_points(
    frame: pd.DataFrame, keep: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Return WGS-84 points from ``lon``/``lat`` columns; a row lacking one has none.

    `keep` names the columns carried over (default all; those absent are skipped).
    """
    lon = pd.to_numeric(frame["lon"], errors="coerce")
    lat = pd.to_numeric(frame["lat"], errors="coerce")
    columns = frame if keep is None else frame[[c for c in keep if c in frame]]
    out = gpd.GeoDataFrame(
        columns, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"
    )
    out.loc[(lon.isna() | lat.isna()).to_numpy(), "geometry"] = None
    return out
