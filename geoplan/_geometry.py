"""Geometry facts every layer asks of a frame."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


def has_location(frame: gpd.GeoDataFrame) -> pd.Series:
    """Return the mask of rows whose geometry is neither missing nor empty."""
    return ~(frame.geometry.isna() | frame.geometry.is_empty)
