"""Layer styles shared by the HTML maps and the GeoPackage (QGIS QML, SLD).

One description per layer (:class:`LayerStyle`) renders to a QGIS style
(QML, stored in the GeoPackage's ``layer_styles`` table so QGIS opens every
layer styled) and to an OGC SLD 1.1 document for other tools. The colours and
class breaks are the ones :mod:`geoplan.render.maps` draws with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    import pandas as pd

#: Class breaks of a coverage share and their colours (red = far from target).
SHARE_CLASSES: tuple[tuple[float, float, str, str], ...] = (
    (0.0, 0.25, "#d73027", "< 25%"),
    (0.25, 0.5, "#fc8d59", "25–50%"),
    (0.5, 0.75, "#fee08b", "50–75%"),
    (0.75, 1.0, "#91cf60", "75–<100%"),
    (1.0, 1e9, "#1a9850", "100%"),
)
#: Colours of point precision, finest first (one colour per level).
PRECISION_COLOURS: dict[str, tuple[str, str]] = {
    "manual": ("#6a3d9a", "人工校正 manual"),
    "address": ("#08519c", "门址 address"),
    "village": ("#1f78b4", "村级 village"),
    "town": ("#33a02c", "乡镇级 town"),
    "county": ("#ff7f00", "县级 county"),
    "city": ("#e31a1c", "市级 city"),
    "province": ("#b10026", "省级 province"),
    "none": ("#999999", "未定位 none"),
}
#: Colours of a row's coverage status (see geoplan.places.precision).
COVERAGE_COLOURS: dict[str, tuple[str, str]] = {
    "covered": ("#1a9850", "已覆盖 covered"),
    "not_covered": ("#d73027", "未覆盖 not covered"),
    "unreachable": ("#67001f", "不可达 unreachable: no facility along the network"),
    "undetermined": ("#9e9ac8", "未定 undetermined: point too coarse to decide"),
}


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn."""

    geometry: str  # "point" or "polygon"
    kind: str  # "graduated", "categorized" or "single"
    attribute: str = ""
    classes: tuple[
        tuple[object, str, str], ...
    ] = ()  # (value or (low, high), colour, label)
    colour: str = "#2c7bb6"
    name: str = "geoplan"


#: Isochrone colours, the nearest band darkest.
ISOCHRONE_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#bdd7e7")


def isochrone_style(layer: pd.DataFrame | None) -> dict[str, LayerStyle]:
    """
    Style an ``isochrones`` layer: one colour a minute band.

    Parameters
    ----------
    layer
        The layer (a ``minutes`` column), or None.

    Returns
    -------
    dict
        ``{"isochrones": style}``, or ``{}`` without a layer.
    """
    if layer is None:
        return {}
    bands = sorted(set(layer["minutes"]))
    colours = {
        str(float(b)): (c, f"{b:g} min")
        for b, c in zip(bands, ISOCHRONE_COLOURS, strict=False)
    }
    return {"isochrones": category_style("minutes", colours, geometry="polygon")}


def share_style(attribute: str) -> LayerStyle:
    """
    Return the choropleth style of a coverage share in [0, 1].

    Parameters
    ----------
    attribute
        The share column.

    Returns
    -------
    LayerStyle
        Graduated polygons with :data:`SHARE_CLASSES`.
    """
    classes = tuple(
        ((low, high), colour, label) for low, high, colour, label in SHARE_CLASSES
    )
    return LayerStyle("polygon", "graduated", attribute, classes)


def category_style(
    attribute: str, colours: dict[str, tuple[str, str]], geometry: str = "point"
) -> LayerStyle:
    """
    Return a categorized style (e.g. points coloured by precision).

    Parameters
    ----------
    attribute
        The category column.
    colours
        Value -> (hex colour, label).
    geometry
        ``"point"`` or ``"polygon"``.

    Returns
    -------
    LayerStyle
        The style.
    """
    classes = tuple(
        (value, colour, label) for value, (colour, label) in colours.items()
    )
    return LayerStyle(geometry, "categorized", attribute, classes)


def _rgba(colour: str, alpha: int = 255) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{alpha}"


def _symbol_qml(index: int, geometry: str, colour: str) -> str:
    if geometry == "polygon":
        options = {
            "color": _rgba(colour, 170),
            "outline_color": "51,51,51,255",
            "outline_width": "0.4",
            "style": "solid",
        }
        kind, layer = "fill", "SimpleFill"
    else:
        options = {
            "color": _rgba(colour),
            "outline_color": "255,255,255,255",
            "outline_width": "0.3",
            "name": "circle",
            "size": "2.6",
        }
        kind, layer = "marker", "SimpleMarker"
    opts = "".join(
        f'<Option name="{k}" type="QString" value="{v}"/>' for k, v in options.items()
    )
    return (
        f'<symbol type="{kind}" name="{index}" alpha="1" clip_to_extent="1" '
        f'force_rhr="0"><layer class="{layer}" enabled="1" locked="0" pass="0">'
        f'<Option type="Map">{opts}</Option></layer></symbol>'
    )


def to_qml(style: LayerStyle, aliases: dict[str, str] | None = None) -> str:
    """
    Render a style as a QGIS QML document.

    Parameters
    ----------
    style
        The layer style.
    aliases
        Field name -> alias, written into the QML too.

    Returns
    -------
    str
        The QML text.
    """
    if style.kind == "single":
        body = (
            f'<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" '
            f'enableorderby="0"><symbols>'
            f"{_symbol_qml(0, style.geometry, style.colour)}</symbols></renderer-v2>"
        )
    else:
        items, symbols = [], []
        for i, (value, colour, label) in enumerate(style.classes):
            symbols.append(_symbol_qml(i, style.geometry, colour))
            if style.kind == "graduated":
                low, high = cast("tuple[float, float]", value)
                items.append(
                    f'<range lower="{low}" upper="{high}" symbol="{i}" '
                    f'label={quoteattr(label)} render="true"/>'
                )
            else:
                items.append(
                    f'<category value={quoteattr(str(value))} symbol="{i}" '
                    f'label={quoteattr(label)} render="true"/>'
                )
        tag = "ranges" if style.kind == "graduated" else "categories"
        kind = "graduatedSymbol" if style.kind == "graduated" else "categorizedSymbol"
        extra = ' graduatedMethod="GraduatedColor"' if style.kind == "graduated" else ""
        body = (
            f'<renderer-v2 type="{kind}" attr={quoteattr(style.attribute)}{extra} '
            f'symbollevels="0" forceraster="0" enableorderby="0">'
            f"<{tag}>{''.join(items)}</{tag}><symbols>{''.join(symbols)}</symbols>"
            f"</renderer-v2>"
        )
    alias_xml = "".join(
        f'<alias field={quoteattr(f)} index="{i}" name={quoteattr(a)}/>'
        for i, (f, a) in enumerate((aliases or {}).items())
    )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.28.0" styleCategories="Symbology|Fields">'
        f"{body}<aliases>{alias_xml}</aliases></qgis>\n"
    )


def _sld_symbolizer(geometry: str, colour: str) -> str:
    if geometry == "polygon":
        return (
            "<se:PolygonSymbolizer><se:Fill>"
            f'<se:SvgParameter name="fill">{colour}</se:SvgParameter>'
            '<se:SvgParameter name="fill-opacity">0.67</se:SvgParameter></se:Fill>'
            '<se:Stroke><se:SvgParameter name="stroke">#333333</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">1</se:SvgParameter></se:Stroke>'
            "</se:PolygonSymbolizer>"
        )
    return (
        "<se:PointSymbolizer><se:Graphic><se:Mark>"
        "<se:WellKnownName>circle</se:WellKnownName><se:Fill>"
        f'<se:SvgParameter name="fill">{colour}</se:SvgParameter></se:Fill>'
        "</se:Mark><se:Size>8</se:Size></se:Graphic></se:PointSymbolizer>"
    )


def to_sld(style: LayerStyle, layer: str) -> str:
    """
    Render a style as an OGC SLD 1.1 document.

    Parameters
    ----------
    style
        The layer style.
    layer
        The layer name.

    Returns
    -------
    str
        The SLD text.
    """
    rules = []
    if style.kind == "single":
        rules.append(
            f"<se:Rule><se:Name>{escape(layer)}</se:Name>"
            f"{_sld_symbolizer(style.geometry, style.colour)}</se:Rule>"
        )
    for value, colour, label in style.classes:
        attr = f"<ogc:PropertyName>{escape(style.attribute)}</ogc:PropertyName>"
        if style.kind == "graduated":
            low, high = cast("tuple[float, float]", value)
            condition = (
                f"<ogc:And><ogc:PropertyIsGreaterThanOrEqualTo>{attr}<ogc:Literal>{low}"
                f"</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyIsLessThan>"
                f"{attr}<ogc:Literal>{high}</ogc:Literal></ogc:PropertyIsLessThan></ogc:And>"
            )
        else:
            condition = (
                f"<ogc:PropertyIsEqualTo>{attr}<ogc:Literal>{escape(str(value))}"
                "</ogc:Literal></ogc:PropertyIsEqualTo>"
            )
        rules.append(
            f"<se:Rule><se:Name>{escape(label)}</se:Name><ogc:Filter>{condition}"
            f"</ogc:Filter>{_sld_symbolizer(style.geometry, colour)}</se:Rule>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.1.0" '
        'xmlns="http://www.opengis.net/sld" xmlns:se="http://www.opengis.net/se" '
        'xmlns:ogc="http://www.opengis.net/ogc">'
        f"<NamedLayer><se:Name>{escape(layer)}</se:Name><UserStyle>"
        f"<se:Name>{escape(style.name)}</se:Name><se:FeatureTypeStyle>"
        f"{''.join(rules)}</se:FeatureTypeStyle></UserStyle></NamedLayer>"
        "</StyledLayerDescriptor>\n"
    )
