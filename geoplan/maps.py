"""Interactive HTML maps of coverage and gaps that open anywhere.

Builders compose: :func:`new_map` (or ``m=None``) starts a map on a basemap
from :mod:`geoplan.basemaps`; :func:`coverage_map`, :func:`add_points` and
:func:`add_areas` draw layers on it; :func:`save` writes the file with every
script and style inlined (no CDN), so only map tiles need a network.

Layers are reprojected to WGS-84 for display only; on a GCJ-02 basemap
(Gaode) they are shifted to GCJ-02 for display, so they sit on the right
street. Every string from the data is HTML-escaped. Large point layers are
drawn on a canvas from one GeoJSON layer instead of one marker each.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.plugins import MarkerCluster

from . import basemaps
from ._assets import inline
from .coords import convert
from .crs import WGS84
from .styles import SHARE_CLASSES

logger = logging.getLogger(__name__)

NO_DATA_COLOUR = "#bdbdbd"
#: Above this many points a layer is drawn on a canvas, not as markers.
MARKER_LIMIT = 2000
#: Polygons are simplified to this share of the map's extent for display.
SIMPLIFY_SHARE = 1 / 4000


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


def new_map(
    bounds: tuple[float, float, float, float],
    *,
    basemap: str = "auto",
    key: str | None = None,
) -> folium.Map:
    """
    Start a map fitted to WGS-84 bounds on a basemap.

    Parameters
    ----------
    bounds
        (west, south, east, north) in degrees, WGS-84.
    basemap
        A basemap id of :mod:`geoplan.basemaps` (``auto``, ``tianditu-vec``,
        ``tianditu-img``, ``gaode``, ``osm``, ``none``).
    key
        The Tianditu key (else ``TIANDITU_KEY``).

    Returns
    -------
    folium.Map
        The map; ``m.geoplan`` records the basemap and its coordinate system.
    """
    chosen = basemaps.get(basemap, key=key)
    m = folium.Map(
        tiles=None, control_scale=True, prefer_canvas=True, maxZoom=chosen.max_zoom
    )
    for i, url in enumerate(chosen.urls(key)):
        folium.TileLayer(
            tiles=url,
            attr=chosen.attribution,
            name=chosen.name_zh if i == 0 else f"{chosen.name_zh}注记",
            subdomains=chosen.subdomains or "abc",
            max_zoom=chosen.max_zoom,
            overlay=i > 0,
            control=i == 0,
        ).add_to(m)
    west, south, east, north = bounds
    if chosen.coord_system == "gcj02":
        (west, east), (south, north) = convert(
            [west, east], [south, north], source="wgs84", target="gcj02"
        )
    m.fit_bounds([[south, west], [north, east]])
    m.geoplan = {"basemap": chosen.id, "coord_system": chosen.coord_system}
    root = m.get_root()
    root.header.add_child(
        folium.Element(
            f'<meta name="geoplan-basemap" content="{chosen.id}">'
            f'<meta name="geoplan-coord-system" content="{chosen.coord_system}">'
        )
    )
    return m


def _coord_system(m: folium.Map) -> str:
    return getattr(m, "geoplan", {}).get("coord_system", "wgs84")


def for_display(frame: gpd.GeoDataFrame, m: folium.Map) -> gpd.GeoDataFrame:
    """
    Return a layer as the map draws it: WGS-84, or GCJ-02 on a Gaode basemap.

    Parameters
    ----------
    frame
        Any layer with a declared CRS.
    m
        The map it goes on.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in display coordinates (never used for measuring).
    """
    shown = frame.to_crs(WGS84)
    if _coord_system(m) == "gcj02":

        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = convert(xy[:, 0], xy[:, 1], source="wgs84", target="gcj02")
            return np.column_stack([lon, lat])

        shown = shown.set_geometry(shapely.transform(shown.geometry.to_numpy(), shift))
    return shown


def _fmt(value: object) -> str:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "—"
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.0f}"
    return str(value)


def _table_html(row: pd.Series, fields: Mapping[str, str]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:8px'>{html.escape(label)}</th>"
        f"<td>{html.escape(_fmt(row[col]))}</td></tr>"
        for col, label in fields.items()
    )
    return f"<table>{cells}</table>"


def _panel(element_id: str, position: str, body: str) -> folium.Element:
    return folium.Element(
        f"<div id='{element_id}' style='position:fixed;{position};z-index:1000;"
        "background:white;padding:8px 10px;border:1px solid #888;border-radius:4px;"
        f"font:13px sans-serif;max-width:280px'>{body}</div>"
    )


def _swatches(items: list[tuple[str, str]], *, round_: bool = False) -> str:
    radius = "border-radius:7px;" if round_ else ""
    return "".join(
        f"<div><span style='display:inline-block;width:14px;height:14px;{radius}"
        f"background:{colour};margin-right:6px;border:1px solid #555'></span>"
        f"{html.escape(label)}</div>"
        for colour, label in items
    )


def coverage_map(
    units: gpd.GeoDataFrame,
    *,
    share_column: str,
    fields: Mapping[str, str],
    title: str,
    legend_title: str,
    legend_note: str = "",
    m: folium.Map | None = None,
    basemap: str = "auto",
) -> folium.Map:
    """
    Draw units as a choropleth of a coverage share, with a legend and a title.

    The unit polygons double as a vector base layer, so the map reads even
    when no tiles load.

    Parameters
    ----------
    units
        Unit polygons (any declared CRS) with a share column in [0, 1].
    share_column
        The column holding the covered share.
    fields
        Columns to show in the tooltip, mapped to their labels.
    title
        Title shown at the top of the map.
    legend_title
        Heading of the legend.
    legend_note
        A line under the legend (e.g. how coverage is counted).
    m
        A map to draw on; a new one (fitted to the units) when omitted.
    basemap
        The basemap of a new map.

    Returns
    -------
    folium.Map
        The map.
    """
    if m is None:
        m = new_map(tuple(units.to_crs(WGS84).total_bounds), basemap=basemap)
    shown = _simplified(for_display(units, m))
    layer = folium.FeatureGroup(name=html.escape(legend_title))
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
    items = [(colour, label) for _, _, colour, label in SHARE_CLASSES]
    note = f"<div style='margin-top:6px;color:#444'>{html.escape(legend_note)}</div>"
    root.html.add_child(
        _panel(
            "geoplan-legend",
            "bottom:50px;left:12px",
            f"<b>{html.escape(legend_title)}</b>{_swatches(items)}{note}",
        )
    )
    root.html.add_child(
        _panel(
            "geoplan-title",
            "top:10px;left:60px",
            f"<b style='font-size:15px'>{html.escape(title)}</b>",
        )
    )
    return m


def _simplified(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    west, south, east, north = frame.total_bounds
    tolerance = max(east - west, north - south) * SIMPLIFY_SHARE
    return frame.set_geometry(
        frame.geometry.simplify(tolerance, preserve_topology=True)
    )


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
    Add points: clustered markers with popups, or a canvas layer when many.

    Parameters
    ----------
    m
        The map to add to.
    points
        Point layer (any declared CRS); rows without geometry stay in the
        layer's counts but are not drawn.
    name
        Layer name shown in the layer control and legend.
    fields
        Columns to show in the popup, mapped to their labels.
    colour
        Marker colour when not coloured by a column.
    colour_column, colours
        Colour markers by this column's value -> (colour, label); the classes
        present go into a legend.

    Returns
    -------
    folium.Map
        The same map.
    """
    shown = for_display(points, m)
    shown = shown[~(shown.geometry.isna() | shown.geometry.is_empty)]
    fills = pd.Series(colour, index=shown.index)
    if colour_column is not None and colours is not None:
        fills = (
            shown[colour_column]
            .astype(str)
            .map({k: v[0] for k, v in colours.items()})
            .fillna(colour)
        )
    if len(shown) > MARKER_LIMIT:
        _canvas_points(m, shown, fills, name=name, fields=fields)
    else:
        cluster = MarkerCluster(
            name=html.escape(name), options={"spiderfyDistanceMultiplier": 1.5}
        )
        for (_, row), fill in zip(shown.iterrows(), fills, strict=True):
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
        present = set(shown[colour_column].astype(str))
        items = [v for k, v in colours.items() if k in present]
        m.get_root().html.add_child(
            _panel(
                "geoplan-point-legend",
                "bottom:24px;right:12px",
                f"<b>{html.escape(name)}</b>{_swatches(items, round_=True)}",
            )
        )
    return m


def _canvas_points(
    m: folium.Map,
    shown: gpd.GeoDataFrame,
    fills: pd.Series,
    *,
    name: str,
    fields: Mapping[str, str],
) -> None:
    """One GeoJSON layer of circle markers on the canvas, popups from properties."""
    data = pd.DataFrame(
        {col: [html.escape(_fmt(v)) for v in shown[col]] for col in fields}
    )
    data["_fill"] = fills.to_numpy()
    layer = gpd.GeoDataFrame(data, geometry=shown.geometry.to_numpy(), crs=WGS84)
    folium.GeoJson(
        layer.__geo_interface__,
        name=html.escape(name),
        marker=folium.CircleMarker(radius=4, fill=True, fill_opacity=0.8, weight=1),
        style_function=lambda f: {
            "color": f["properties"]["_fill"],
            "fillColor": f["properties"]["_fill"],
        },
        popup=folium.GeoJsonPopup(
            fields=list(fields),
            aliases=[html.escape(a) for a in fields.values()],
            labels=True,
        ),
    ).add_to(m)


def add_areas(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    name: str,
    colour: str = "#3182bd",
    dash: bool = False,
    show: bool = True,
) -> folium.Map:
    """
    Add polygons as an outline layer that can be switched on and off.

    For service areas (network reach and Euclidean circle as two layers, so
    the detour shows) and for boundaries.

    Parameters
    ----------
    m
        The map.
    areas
        Polygons (any declared CRS).
    name
        Layer name.
    colour
        Outline and fill colour.
    dash
        Draw a dashed outline (e.g. for Euclidean circles).
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.Map
        The same map.
    """
    shown = _simplified(for_display(areas, m))
    style = {
        "color": colour,
        "weight": 1.5,
        "fillColor": colour,
        "fillOpacity": 0.12,
        "dashArray": "6 4" if dash else None,
    }
    folium.GeoJson(
        gpd.GeoSeries(shown.geometry.to_numpy(), crs=WGS84).__geo_interface__,
        name=html.escape(name),
        style_function=lambda _f: style,
        show=show,
    ).add_to(m)
    return m


def save(m: folium.Map, path: Path, *, offline: bool = True) -> Path:
    """
    Write the map as one HTML file, with the layer control.

    Parameters
    ----------
    m
        The map.
    path
        Target file; its folder is created when missing.
    offline
        Inline every script and style from the installed packages, so the
        page needs no network except for map tiles (default).

    Returns
    -------
    pathlib.Path
        `path`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    folium.LayerControl(collapsed=False).add_to(m)
    page = m.get_root().render()
    if offline:
        page = inline(page)
    path.write_text(page, encoding="utf-8")
    logger.info("Wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def html_size_mb(path: Path) -> float:
    """
    Return a written map's size in megabytes.

    Parameters
    ----------
    path
        The HTML file.

    Returns
    -------
    float
        Size in MB (10^6 bytes).
    """
    return Path(path).stat().st_size / 1e6


def to_png(  # noqa: PLR0913
    units: gpd.GeoDataFrame,
    path: Path,
    *,
    share_column: str,
    title: str,
    points: gpd.GeoDataFrame | None = None,
    point_colours: Mapping[str, tuple[str, str]] | None = None,
    point_column: str | None = None,
    title_en: str = "",
    dpi: int = 150,
) -> Path:
    """
    Draw the same coverage map as a PNG for reports (no browser needed).

    Chinese labels need a CJK font (e.g. Noto Sans CJK, WenQuanYi); without
    one, labels fall back to English.

    Parameters
    ----------
    units
        Unit polygons with a share column.
    path
        The PNG file.
    share_column
        The covered share in [0, 1].
    title
        The title.
    points
        Optional points drawn on top.
    point_colours, point_column
        Colour the points by this column's value -> (colour, label).
    title_en
        The title used when no CJK font is installed.
    dpi
        Resolution.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    font = _cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    shown = units.to_crs(WGS84)
    fig, ax = plt.subplots(figsize=(8, 7))
    shown.plot(
        ax=ax,
        color=[share_colour(v) for v in shown[share_column]],
        edgecolor="#333333",
        linewidth=0.8,
        alpha=0.8,
    )
    handles = [
        Patch(facecolor=c, edgecolor="#333333", label=lbl)
        for _, _, c, lbl in SHARE_CLASSES
    ]
    if points is not None and len(points):
        dots = points.to_crs(WGS84)
        dots = dots[~(dots.geometry.isna() | dots.geometry.is_empty)]
        colours = "#2c7bb6"
        if point_column and point_colours:
            colours = [
                point_colours.get(str(v), ("#2c7bb6", ""))[0]
                for v in dots[point_column]
            ]
        dots.plot(ax=ax, color=colours, markersize=14, edgecolor="white", linewidth=0.4)
    if points is not None and point_column and point_colours:
        present = set(points[point_column].astype(str))
        handles += [
            Line2D([], [], marker="o", linestyle="", color=c, label=lbl)
            for value, (c, lbl) in point_colours.items()
            if value in present
        ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, title=share_column)
    ax.set_title(title if font else (title_en or share_column))
    ax.set_axis_off()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    wanted = (
        "Noto Sans CJK",
        "Noto Serif CJK",
        "WenQuanYi",
        "SimHei",
        "Microsoft YaHei",
        "PingFang",
        "Source Han Sans",
        "Droid Sans Fallback",
    )
    for entry in font_manager.fontManager.ttflist:
        if any(entry.name.startswith(w) for w in wanted):
            return str(entry.name)
    return None
