"""Interactive HTML maps of coverage and gaps (folium/Leaflet).

Builders take layers in any CRS, reproject to WGS-84 for display only, and
return the map, so they compose: ``m = coverage_map(...); add_points(m, ...)``.
:func:`save` is the one function that writes map files.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import MarkerCluster

from .crs import WGS84
from .styles import SHARE_CLASSES

NO_DATA_COLOUR = "#bdbdbd"


def share_colour(share: float | None) -> str:
    """
    Return the fill colour of a coverage share.

    Parameters
    ----------
    share
        Covered share between 0 and 1, or None/NaN for no data.

    Returns
    -------
    str
        A hex colour from :data:`geoplan.styles.SHARE_CLASSES`.
    """
    if share is None or pd.isna(share):
        return NO_DATA_COLOUR
    for low, high, colour, _ in SHARE_CLASSES:
        if low <= share < high:
            return colour
    return NO_DATA_COLOUR


def _table_html(row: pd.Series, fields: Mapping[str, str]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:8px'>{html.escape(label)}</th>"
        f"<td>{html.escape(_fmt(row[col]))}</td></tr>"
        for col, label in fields.items()
    )
    return f"<table>{cells}</table>"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.0f}"
    return str(value)


def _legend_html(title: str, note: str) -> str:
    items = "".join(
        f"<div><span style='display:inline-block;width:14px;height:14px;"
        f"background:{colour};margin-right:6px;border:1px solid #555'></span>"
        f"{html.escape(label)}</div>"
        for _, _, colour, label in SHARE_CLASSES
    )
    return (
        "<div id='geoplan-legend' style='position:fixed;bottom:24px;left:12px;"
        "z-index:1000;background:white;padding:8px 10px;border:1px solid #888;"
        "border-radius:4px;font:13px sans-serif;max-width:260px'>"
        f"<b>{html.escape(title)}</b>{items}"
        f"<div style='margin-top:6px;color:#444'>{html.escape(note)}</div></div>"
    )


def coverage_map(
    units: gpd.GeoDataFrame,
    *,
    share_column: str,
    fields: Mapping[str, str],
    title: str,
    legend_title: str,
    legend_note: str = "",
) -> folium.Map:
    """
    Draw units as a choropleth of a coverage share, with a legend.

    The unit polygons double as a vector base layer, so the map reads even
    when no tiles load.

    Parameters
    ----------
    units
        Unit polygons (any declared CRS) with a share column in [0, 1].
    share_column
        The column holding the covered share.
    fields
        Columns to show in the tooltip, mapped to their (Chinese) labels.
    title
        Title shown at the top of the map.
    legend_title
        Heading of the legend.
    legend_note
        A line under the legend (e.g. how coverage is counted).

    Returns
    -------
    folium.Map
        The map, fitted to the units.
    """
    shown = units.to_crs(WGS84)
    west, south, east, north = shown.total_bounds
    m = folium.Map(tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", show=True).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    layer = folium.FeatureGroup(name=legend_title)
    for _, row in shown.iterrows():
        colour = share_colour(row[share_column])
        folium.GeoJson(
            gpd.GeoSeries([row.geometry], crs=WGS84).__geo_interface__,
            style_function=lambda _f, c=colour: {
                "fillColor": c,
                "color": "#333",
                "weight": 1.5,
                "fillOpacity": 0.6,
            },
            tooltip=folium.Tooltip(_table_html(row, fields)),
        ).add_to(layer)
    layer.add_to(m)
    root = m.get_root()
    root.html.add_child(folium.Element(_legend_html(legend_title, legend_note)))
    root.html.add_child(
        folium.Element(
            "<div id='geoplan-title' style='position:fixed;top:10px;left:60px;"
            "z-index:1000;background:white;padding:4px 10px;border:1px solid #888;"
            f"border-radius:4px;font:bold 15px sans-serif'>{html.escape(title)}</div>"
        )
    )
    return m


def add_points(
    m: folium.Map,
    points: gpd.GeoDataFrame,
    *,
    name: str,
    fields: Mapping[str, str],
    colour: str = "#2c7bb6",
    colour_column: str | None = None,
    colours: Mapping[str, tuple[str, str]] | None = None,
) -> folium.Map:
    """
    Add point features as clustered circle markers with popups.

    Parameters
    ----------
    m
        The map to add to.
    points
        Point layer (any declared CRS); rows with empty geometry are skipped
        on the map only (they stay in the layer and its counts).
    name
        Layer name shown in the layer control.
    fields
        Columns to show in the popup, mapped to their labels.
    colour
        Marker colour (when not coloured by a column).
    colour_column, colours
        Colour markers by this column's value -> (colour, label); the
        classes present are added to the legend.

    Returns
    -------
    folium.Map
        The same map.
    """
    shown = points.to_crs(WGS84)
    shown = shown[~(shown.geometry.isna() | shown.geometry.is_empty)]
    cluster = MarkerCluster(name=name, options={"spiderfyDistanceMultiplier": 1.5})
    for _, row in shown.iterrows():
        fill = colour
        if colour_column is not None and colours is not None:
            fill = colours.get(str(row[colour_column]), (colour, ""))[0]
        folium.CircleMarker(
            location=[row.geometry.y, row.geometry.x],
            radius=6,
            color=fill,
            fill=True,
            fill_opacity=0.8,
            popup=folium.Popup(_table_html(row, fields), max_width=320),
        ).add_to(cluster)
    cluster.add_to(m)
    if colour_column is not None and colours is not None:
        present = [v for v in colours if v in set(shown[colour_column].astype(str))]
        items = "".join(
            f"<div><span style='display:inline-block;width:12px;height:12px;"
            f"border-radius:6px;background:{colours[v][0]};margin-right:6px'></span>"
            f"{html.escape(colours[v][1])}</div>"
            for v in present
        )
        m.get_root().html.add_child(
            folium.Element(
                "<div id='geoplan-point-legend' style='position:fixed;bottom:24px;"
                "right:12px;z-index:1000;background:white;padding:8px 10px;"
                "border:1px solid #888;border-radius:4px;font:13px sans-serif'>"
                f"<b>{html.escape(name)}</b>{items}</div>"
            )
        )
    return m


def save(m: folium.Map, path: Path) -> Path:
    """
    Write the map as an HTML file, adding the layer control.

    Parameters
    ----------
    m
        The map to write.
    path
        Target file; its folder is created when missing.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    folium.LayerControl(collapsed=False).add_to(m)
    m.save(str(path))
    return path
