"""Interactive HTML maps of coverage and gaps that open anywhere.

Builders compose: :func:`new_map` (or ``m=None``) starts a map on a basemap
from :mod:`geoplan.render.basemaps`; :func:`coverage_map`, :func:`add_points` and
:func:`add_areas` draw layers on it; :func:`save` writes the file with every
script and style inlined (no CDN), so only map tiles need a network.

Layers are reprojected to WGS-84 for display only; on a GCJ-02 basemap
(Gaode) they are shifted to GCJ-02 for display, so they sit on the right
street. Every string from the data reaches the page through
:func:`geoplan.render._html.text` (inert in HTML, JavaScript and folium's Jinja
pass). Large point layers are
drawn on a canvas from one GeoJSON layer instead of one marker each.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.plugins import MarkerCluster
from folium.utilities import JsCode

from geoplan._geometry import has_location
from geoplan.io._atomic import atomic_write_bytes, atomic_write_text
from geoplan.io.styles import ISOCHRONE_COLOURS, SHARE_CLASSES
from geoplan.places.coords import convert
from geoplan.places.crs import WGS84, metric_crs
from geoplan.render import basemaps
from geoplan.render._assets import inline
from geoplan.render._html import text

if TYPE_CHECKING:
    from branca.element import Figure
    from matplotlib.artist import Artist

logger = logging.getLogger(__name__)

NO_DATA_COLOUR = "#bdbdbd"
NO_DATA_LABEL = "无数据 no data"
#: Points whose class has no colour of its own.
OTHER_COLOUR = "#999999"
#: Above this many points a layer is drawn on a canvas, not as markers.
MARKER_LIMIT = 2000
#: Polygons are simplified to this share of the map's extent for display.
SIMPLIFY_SHARE = 1 / 4000


def share_class(share: float | None) -> tuple[str, str]:
    """
    Return the fill colour and legend label of a coverage share.

    Parameters
    ----------
    share
        Covered share between 0 and 1, or None/NaN for no data.

    Returns
    -------
    tuple of str
        A hex colour and label from :data:`geoplan.io.styles.SHARE_CLASSES`
        (``NO_DATA_LABEL`` for none).
    """
    if share is None or pd.isna(share):
        return NO_DATA_COLOUR, NO_DATA_LABEL
    for low, high, colour, label in SHARE_CLASSES:
        if low <= share < high:
            return colour, label
    return NO_DATA_COLOUR, NO_DATA_LABEL


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
        A basemap id of :mod:`geoplan.render.basemaps` (``auto``, ``tianditu-vec``,
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
    vars(m)["geoplan"] = {
        "basemap": chosen.id,
        "coord_system": chosen.coord_system,
        "legend": [],  # (section title, [LegendItem, ...]) drawn by save()
    }
    root = cast("Figure", m.get_root())
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
        f"<tr><th style='text-align:left;padding-right:8px'>{text(label)}</th>"
        f"<td>{text(_fmt(row[col]))}</td></tr>"
        for col, label in fields.items()
    )
    return f"<table>{cells}</table>"


def _panel(element_id: str, position: str, body: str) -> folium.Element:
    return folium.Element(
        f"<div id='{element_id}' style='position:fixed;{position};z-index:1000;"
        "background:white;padding:8px 10px;border:1px solid #888;border-radius:4px;"
        f"font:13px sans-serif;max-width:280px'>{body}</div>"
    )


def class_token(key: str) -> str:
    """
    Return a class key as a token safe in HTML attributes and scripts.

    Parameters
    ----------
    key
        A class value (``"covered"``, ``"50–75%"``, a layer name).

    Returns
    -------
    str
        The key itself when it is a plain identifier, else ``k`` and a hash.
    """
    if re.fullmatch(r"[A-Za-z0-9_]{1,40}", key):
        return key
    return (
        "k" + hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    )


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: what a colour (and shape) means on this map."""

    colour: str
    label: str
    key: str  # the class drawn features carry as ``geoplanClass`` (a token)
    shape: str = "square"  # square (polygons), round (points), ring (clusters), line

    def __post_init__(self) -> None:
        """Keep the key a safe token whatever the class value was."""
        object.__setattr__(self, "key", class_token(self.key))


#: Cluster bubbles are neutral: their colour never stands for a class.
CLUSTER_ITEM = LegendItem(
    "#ffffff", "聚合点（数字为点数，放大展开） cluster of N points", "cluster", "ring"
)
CLUSTER_ICON = """function (cluster) {
  return L.divIcon({
    html: '<div class="geoplan-cluster-icon">' + cluster.getChildCount() + '</div>',
    className: 'geoplan-cluster', iconSize: L.point(30, 30)});
}"""
CLUSTER_CSS = (
    "<style>.geoplan-cluster-icon{width:30px;height:30px;line-height:26px;"
    "box-sizing:border-box;border-radius:50%;background:#ffffff;"
    "border:2px solid #444;color:#222;font:bold 12px sans-serif;text-align:center}"
    "</style>"
)


def _swatch(item: LegendItem) -> str:
    style = {
        "square": f"background:{item.colour};border:1px solid #555",
        "round": f"background:{item.colour};border:1px solid #555;border-radius:7px",
        "ring": f"background:{item.colour};border:2px solid #444;border-radius:7px",
        "line": f"border:2px dashed {item.colour};background:transparent",
    }[item.shape]
    return (
        f"<div class='geoplan-legend-item' data-class='{text(item.key)}' "
        f"data-colour='{item.colour}'><span style='display:inline-block;width:14px;"
        f"height:14px;margin-right:6px;box-sizing:border-box;{style}'></span>"
        f"{text(item.label)}</div>"
    )


def meta(m: folium.Map) -> dict[str, Any]:
    """
    Return what geoplan records on a map: its basemap, coordinate system, legend.

    Parameters
    ----------
    m
        A map (from :func:`new_map`, or any folium map).

    Returns
    -------
    dict
        ``basemap``, ``coord_system`` and ``legend`` (sections drawn by
        :func:`save`); created on first use for maps not made here.
    """
    return vars(m).setdefault("geoplan", {"basemap": "", "coord_system": "wgs84"})


def legend_items(m: folium.Map) -> list[tuple[str, list[LegendItem]]]:
    """
    Return the legend sections the layers drawn so far have registered.

    Parameters
    ----------
    m
        A map from :func:`new_map`.

    Returns
    -------
    list
        ``(section title, items)`` in drawing order.
    """
    return meta(m).setdefault("legend", [])


def _register(m: folium.Map, title: str, items: list[LegendItem]) -> None:
    legend_items(m).append((title, items))


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
    layer = folium.FeatureGroup(name=text(legend_title))
    drawn = set()
    for _, row in shown.iterrows():
        colour, label = share_class(row[share_column])
        drawn.add((colour, label))
        folium.GeoJson(
            gpd.GeoSeries([row.geometry], crs=WGS84).__geo_interface__,
            style_function=lambda _f, c=colour, k=label: {
                "fillColor": c,
                "color": "#333",
                "weight": 1.5,
                "fillOpacity": 0.6,
                "geoplanClass": class_token(k),
            },
            tooltip=folium.Tooltip(_table_html(row, fields)),
        ).add_to(layer)
    layer.add_to(m)
    root = cast("Figure", m.get_root())
    items = [LegendItem(c, lbl, lbl) for _, _, c, lbl in SHARE_CLASSES]
    if (NO_DATA_COLOUR, NO_DATA_LABEL) in drawn:
        items.append(LegendItem(NO_DATA_COLOUR, NO_DATA_LABEL, NO_DATA_LABEL))
    note = f"<div style='margin-top:6px;color:#444'>{text(legend_note)}</div>"
    root.html.add_child(
        _panel(
            "geoplan-legend",
            "bottom:50px;left:12px",
            f"<b>{text(legend_title)}</b>" + "".join(_swatch(i) for i in items) + note,
        )
    )
    root.html.add_child(
        _panel(
            "geoplan-title",
            "top:10px;left:60px",
            f"<b style='font-size:15px'>{text(title)}</b>",
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
    cluster: bool = True,
) -> folium.Map:
    """
    Add points: markers with popups (clustered), or a canvas layer when many.

    Every colour drawn has a legend entry with its meaning: the classes of
    `colour_column` present (values without a colour of their own are grey,
    "other"), or `name` for a single colour. Cluster bubbles are neutral
    (white with the number of points) and have their own entry.

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
        Colour markers by this column's value -> (colour, label).
    cluster
        Group nearby markers into numbered bubbles.

    Returns
    -------
    folium.Map
        The same map.
    """
    shown = for_display(points, m)
    shown = shown[has_location(shown)]
    if colour_column is not None and colours is not None:
        keys = shown[colour_column].map(_class_key)
        known = keys.isin(list(colours))
        fills = keys.map({k: v[0] for k, v in colours.items()}).where(
            known, OTHER_COLOUR
        )
        classes = keys.where(known, "other")
        items = [
            LegendItem(c, lbl, k, "round")
            for k, (c, lbl) in colours.items()
            if k in set(keys)
        ]
        if (~known).any():
            others = sorted(set(keys[~known]))
            label = "其他 other: " + ", ".join(o or "(blank)" for o in others[:5])
            items.append(LegendItem(OTHER_COLOUR, label, "other", "round"))
    else:
        fills = pd.Series(colour, index=shown.index)
        classes = pd.Series(name, index=shown.index)
        items = [LegendItem(colour, name, name, "round")]
    clustered = cluster and len(shown) <= MARKER_LIMIT
    layer = _geojson_points(
        shown, fills, classes, name=name, fields=fields, own_popups=clustered
    )
    if not clustered:
        layer.add_to(m)
    else:
        group = MarkerCluster(
            name=text(name),
            options={"spiderfyDistanceMultiplier": 1.5},
            icon_create_function=CLUSTER_ICON,
        )
        layer.add_to(group)  # markercluster takes the GeoJSON layer's markers
        group.add_to(m)
        if len(shown) > 1:
            meta(m).setdefault("clusters", True)
    _register(m, name, items)
    return m


def _class_key(value: object) -> str:
    """Return a value as the key of a colour table (1.0 and True give "1")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _geojson_points(
    shown: gpd.GeoDataFrame,
    fills: pd.Series,
    classes: pd.Series,
    *,
    name: str,
    fields: Mapping[str, str],
    own_popups: bool,
) -> folium.GeoJson:
    """
    One GeoJSON layer of circle markers, popups from its properties.

    With `own_popups` each marker carries its popup (a clustered layer is not
    on the map itself, so a popup bound to it would never open).
    """
    # property keys are ours (f0, f1 …): column names come from data too
    keys = {col: f"f{i}" for i, col in enumerate(fields)}
    data = pd.DataFrame(
        {keys[col]: [text(_fmt(v)) for v in shown[col]] for col in fields}
    )
    data["_fill"] = fills.to_numpy()
    data["_class"] = [class_token(k) for k in classes]
    popups: dict[str, Any] = {
        "popup": folium.GeoJsonPopup(
            fields=list(keys.values()),
            aliases=[text(a) for a in fields.values()],
            labels=True,
        )
    }
    if own_popups:  # escaped cells, as every popup
        data = data.iloc[:, len(keys) :].assign(
            _popup=[_table_html(row, fields) for _, row in shown.iterrows()]
        )
        popups = {"on_each_feature": JsCode(_BIND_POPUP)}
    layer = gpd.GeoDataFrame(data, geometry=shown.geometry.to_numpy(), crs=WGS84)
    radius = 4 if len(shown) > MARKER_LIMIT else 6
    return folium.GeoJson(
        layer.__geo_interface__,
        name=text(name),
        marker=folium.CircleMarker(
            radius=radius, fill=True, fill_opacity=0.8, weight=1
        ),
        style_function=lambda f: {
            "color": f["properties"]["_fill"],
            "fillColor": f["properties"]["_fill"],
            "geoplanClass": f["properties"]["_class"],
        },
        **popups,
    )


#: Each marker of a clustered layer binds its own (already escaped) popup.
_BIND_POPUP = (
    "function (feature, layer) {"
    " layer.bindPopup(feature.properties._popup, {maxWidth: 320}); }"
)


def add_isochrones(m: folium.Map, isochrones: gpd.GeoDataFrame) -> folium.Map:
    """
    Add isochrones, one layer a minute band, the nearest band darkest and on top.

    Parameters
    ----------
    m
        The map.
    isochrones
        As :func:`geoplan.access.service_areas.isochrones` returns them.

    Returns
    -------
    folium.Map
        The same map.
    """
    bands = sorted(set(isochrones["minutes"]))
    for band, colour in reversed(list(zip(bands, ISOCHRONE_COLOURS, strict=False))):
        in_band = isochrones[isochrones["minutes"] == band]
        mode = in_band["mode"].iloc[0] if len(in_band) else ""
        add_areas(
            m, in_band, name=f"等时圈 isochrone {band:g} min ({mode})", colour=colour
        )
    return m


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
    style["geoplanClass"] = class_token(name)
    folium.GeoJson(
        gpd.GeoSeries(shown.geometry.to_numpy(), crs=WGS84).__geo_interface__,
        name=text(name),
        style_function=lambda _f: style,
        show=show,
    ).add_to(m)
    _register(m, name, [LegendItem(colour, name, name, "line")])
    return m


def add_radius(
    m: folium.Map, points: gpd.GeoDataFrame, radius_m: float, *, name: str
) -> folium.Map:
    """
    Draw a dashed circle of `radius_m` around each located point, for display.

    Coverage is decided from distances, never from these circles.

    Parameters
    ----------
    m
        The map.
    points
        Facilities or sites (any declared CRS); rows with no location are skipped.
    radius_m
        The radius in metres, drawn in the area's metric CRS.
    name
        Layer name.

    Returns
    -------
    folium.Map
        The same map.
    """
    placed = points[has_location(points)]
    if not len(placed):
        return m
    metric = placed.to_crs(metric_crs(placed.to_crs(WGS84)))
    circles = gpd.GeoDataFrame(geometry=metric.buffer(radius_m), crs=metric.crs)
    return add_areas(m, circles, name=name, dash=True)


def add_demand(
    m: folium.Map,
    demand: gpd.GeoDataFrame,
    *,
    fields: Mapping[str, str],
    colours: Mapping[str, tuple[str, str]],
) -> folium.Map:
    """
    Add demand points coloured by their ``coverage_status``.

    Parameters
    ----------
    m
        The map.
    demand
        Demand points with a ``coverage_status`` column.
    fields
        Popup fields, column to label.
    colours
        Colour and label of each status.

    Returns
    -------
    folium.Map
        The same map.
    """
    return add_points(
        m,
        demand,
        name="需求点 demand",
        fields=fields,
        colour_column="coverage_status",
        colours=colours,
    )


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
    _add_point_legend(m)
    folium.LayerControl(collapsed=False).add_to(m)
    page = m.get_root().render()
    if offline:
        page = inline(page)
    atomic_write_text(path, page)
    logger.info("Wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def _add_point_legend(m: folium.Map) -> None:
    """One panel for every point and area layer drawn, and the cluster bubbles."""
    sections = list(legend_items(m))
    if getattr(m, "geoplan", {}).get("clusters"):
        sections.append(("聚合 clusters", [CLUSTER_ITEM]))
        cast("Figure", m.get_root()).header.add_child(folium.Element(CLUSTER_CSS))
    if not sections:
        return
    body = "".join(
        f"<div style='margin-top:4px'><b>{text(title)}</b></div>"
        + "".join(_swatch(item) for item in items)
        for title, items in sections
    )
    cast("Figure", m.get_root()).html.add_child(
        _panel("geoplan-point-legend", "bottom:24px;right:12px", body)
    )


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
    legend_title: str = "",
    title_en: str = "",
    dpi: int = 150,
) -> Path:
    """
    Draw the same coverage map as a PNG for reports (no browser needed).

    Chinese labels need a CJK font (e.g. Noto Sans CJK, WenQuanYi; found even
    when matplotlib's font cache predates its installation); without one,
    every label falls back to its English part.

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
        Colour the points by this column's value -> (colour, label); values
        without a colour are grey and labelled "other".
    legend_title
        Heading of the legend (e.g. ``"安置点公墓覆盖率"``).
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
    from matplotlib.patches import Patch

    font = cjk_font()

    def label_of(label: str) -> str:
        return mpl_text(label if font else _english(label))

    shown = units.to_crs(WGS84)
    with mpl.rc_context(
        {"font.sans-serif": [font, "DejaVu Sans"], "axes.unicode_minus": False}
        if font
        else {}
    ):
        fig, ax = plt.subplots(figsize=(8, 7))
        shown.plot(
            ax=ax,
            color=[share_class(v)[0] for v in shown[share_column]],
            edgecolor="#333333",
            linewidth=0.8,
            alpha=0.8,
        )
        handles: list[Artist] = [
            Patch(facecolor=c, edgecolor="#333333", label=label_of(lbl))
            for _, _, c, lbl in SHARE_CLASSES
        ]
        if points is not None and len(points):
            handles += _png_points(ax, points, point_column, point_colours, label_of)
        ax.legend(
            handles=handles,
            loc="lower left",
            fontsize=8,
            title=label_of(legend_title) if legend_title else None,
        )
        ax.set_title(mpl_text(title if font else (title_en or _english(title))))
        ax.set_axis_off()
        atomic_write_bytes(path, _png_bytes(fig, dpi))
        plt.close(fig)
    return path


def _png_bytes(fig: object, dpi: int) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")  # type: ignore[attr-defined]
    return buffer.getvalue()


def _png_points(
    ax: object,
    points: gpd.GeoDataFrame,
    column: str | None,
    colours: Mapping[str, tuple[str, str]] | None,
    label_of: Callable[[str], str],
) -> list[Artist]:
    """Draw the points; return their legend handles (one per colour drawn)."""
    from matplotlib.lines import Line2D

    dots = points.to_crs(WGS84)
    dots = dots[has_location(dots)]
    if not (column and colours):
        dots.plot(
            ax=ax, color="#2c7bb6", markersize=14, edgecolor="white", linewidth=0.4
        )
        return []
    keys = dots[column].map(_class_key)
    fills = [colours[k][0] if k in colours else OTHER_COLOUR for k in keys]
    dots.plot(ax=ax, color=fills, markersize=14, edgecolor="white", linewidth=0.4)
    handles: list[Artist] = [
        Line2D([], [], marker="o", linestyle="", color=c, label=label_of(lbl))
        for value, (c, lbl) in colours.items()
        if value in set(keys)
    ]
    if not keys.isin(list(colours)).all():
        handles.append(
            Line2D([], [], marker="o", linestyle="", color=OTHER_COLOUR, label="other")
        )
    return handles


def mpl_text(label: str) -> str:
    """
    Return text matplotlib draws as written (``$`` would start its math mode).

    Parameters
    ----------
    label
        A title or legend label, possibly from data.

    Returns
    -------
    str
        The label with every ``$`` escaped.
    """
    return str(label).replace("$", r"\$")


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _english(label: str) -> str:
    """Return a label's words without Chinese (``"乡镇级 town"`` gives ``"town"``)."""
    kept = [w for w in label.split() if not _CJK.search(w)]
    return " ".join(kept) if kept else _CJK.sub("", label)


#: Families that carry Chinese glyphs, best first.
CJK_FAMILIES = (
    "Noto Sans CJK",
    "Noto Serif CJK",
    "WenQuanYi",
    "SimHei",
    "Microsoft YaHei",
    "PingFang",
    "Source Han Sans",
    "Droid Sans Fallback",
)
#: Font file names of those families, for fonts installed after the cache.
CJK_FILES = (
    "notosanscjk",
    "notoserifcjk",
    "wqy-",
    "simhei",
    "msyh",
    "pingfang",
    "sourcehansans",
    "droidsansfallback",
)


def cjk_font() -> str | None:
    """
    Return the name of a font with Chinese glyphs, or None when none is installed.

    matplotlib caches the fonts it found when it first ran; a font installed
    later (``apt-get install fonts-wqy-zenhei``) is looked up among the
    system's font files and added.

    Returns
    -------
    str or None
        A font family name matplotlib can use.
    """
    from matplotlib import font_manager

    # "findfont: Failed to find font weight normal … now using 500" is harmless
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

    def known() -> str | None:
        for family in CJK_FAMILIES:
            for entry in font_manager.fontManager.ttflist:
                if entry.name.startswith(family):
                    return str(entry.name)
        return None

    found = known()
    if found:
        return found
    for path in font_manager.findSystemFonts():
        if any(part in Path(path).name.lower() for part in CJK_FILES):
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                font_manager.fontManager.addfont(path)
    return known()
