"""The bundled example: Shangluo's relocation-site cemetery coverage, end to end.

:func:`run_shangluo` reads the transcribed plan table, counts coverage per
county, places the named sites and cemetery targets at the precision reached
offline, and writes a GeoPackage, CSV tables and an HTML map.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import boundaries, geocode, maps, relocation, settings
from ._io import write_gpkg

logger = logging.getLogger(__name__)

SHANGLUO_PREFIX = "6110"

#: The sentence printed and drawn under the coverage table.
COVERAGE_NOTE_ZH = (
    "注：安置点仅在规划表列明安排（新建或挂靠）时计为已覆盖；"
    "规划未说明已建公墓服务哪些安置点，公墓不计为安置点。"
)
COVERAGE_NOTE_EN = (
    "Note: a site counts as provided for only where the plan's table names an "
    "arrangement for it (new or attached). The table does not say which sites the "
    "existing cemeteries serve, and a cemetery is not a site."
)


@dataclass
class ShangluoResult:
    """What :func:`run_shangluo` computed and wrote."""

    coverage: pd.DataFrame
    validation: pd.DataFrame
    sites: gpd.GeoDataFrame
    targets: gpd.GeoDataFrame
    counties: gpd.GeoDataFrame
    files: dict[str, Path] = field(default_factory=dict)


def run_shangluo(
    *,
    layers_folder: Path | None = None,
    maps_folder: Path | None = None,
    sources_folder: Path | None = None,
    write_map: bool = True,
) -> ShangluoResult:
    """
    Compute and write Shangluo's relocation-site cemetery coverage.

    Parameters
    ----------
    layers_folder
        Where ``shangluo.gpkg`` and the CSV tables go; default
        ``settings.layers_folder``.
    maps_folder
        Where the HTML map goes; default ``settings.maps_folder``.
    sources_folder
        Where the transcribed plan tables are read; default
        ``settings.sources_folder``.
    write_map
        Whether to write the HTML map.

    Returns
    -------
    ShangluoResult
        The coverage table, the validation report, the layers and the paths
        written.
    """
    layers_folder = Path(layers_folder or settings.layers_folder)
    maps_folder = Path(maps_folder or settings.maps_folder)
    sites = relocation.load_sites(sources_folder)
    totals = relocation.load_county_totals(sources_folder)
    types = relocation.load_community_types(sources_folder)
    coverage = relocation.coverage_by_county(sites, totals)
    validation = relocation.validation_report(sites, totals, types)

    county_polygons = boundaries.counties(prefix=SHANGLUO_PREFIX)
    county_layer = county_polygons[["county_code", "geometry"]].merge(
        coverage.reset_index(), on="county_code", how="left", validate="1:1"
    )
    site_layer = geocode.points_at_county(sites.reset_index(), county_polygons)
    target_layer = geocode.points_at_county(
        relocation.cemetery_targets(sites), county_polygons
    )
    logger.info(
        "Placed %d sites and %d cemetery targets at county precision",
        len(site_layer),
        len(target_layer),
    )

    files = {
        "gpkg": write_gpkg(
            layers_folder / "shangluo.gpkg",
            {
                "counties": county_layer,
                "relocation_sites": site_layer,
                "cemetery_targets": target_layer,
            },
        ),
        "coverage_csv": layers_folder / "shangluo-relocation-coverage.csv",
        "validation_csv": layers_folder / "shangluo-relocation-validation.csv",
    }
    coverage.to_csv(files["coverage_csv"], encoding="utf-8")
    validation.to_csv(files["validation_csv"], index=False, encoding="utf-8")
    if write_map:
        files["map"] = maps.save(
            _shangluo_map(county_layer, site_layer),
            maps_folder / "shangluo-relocation-cemeteries.html",
        )
    return ShangluoResult(
        coverage, validation, site_layer, target_layer, county_layer, files
    )


def _shangluo_map(counties: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> object:
    m = maps.coverage_map(
        counties,
        share_column="provided_share",
        fields={
            "county": "县区",
            "sites": "搬迁点(个)",
            "sites_named": "已列名安排(个)",
            "sites_unnamed": "未列名(个)",
            "cemeteries_built": "已建公墓(个)",
            "cemeteries_planned": "拟新(改)建(个)",
            "provided_share": "覆盖率",
            "gap_sites": "距目标差距(个)",
        },
        title="商洛市易地搬迁安置点公益性公墓覆盖（十四五规划）",
        legend_title="安置点公墓覆盖率",
        legend_note=COVERAGE_NOTE_ZH,
    )
    return maps.add_points(
        m,
        sites,
        name="已列名安置点（县级精度）",
        fields={
            "site_name": "安置点",
            "county": "县区",
            "town_as_written": "镇(街道)",
            "arrangement_as_written": "公墓安排",
            "precision": "定位精度",
        },
    )


def format_coverage_table(coverage: pd.DataFrame) -> str:
    """
    Render the coverage table for a terminal, with bilingual headers.

    Parameters
    ----------
    coverage
        As from :func:`geoplan.relocation.coverage_by_county`.

    Returns
    -------
    str
        The table, followed by the counting note in Chinese and English.
    """
    labels = relocation.COVERAGE_LABELS
    shown = coverage[list(labels)].copy()
    shown["provided_share"] = shown["provided_share"].map("{:.1%}".format)
    shown.columns = pd.MultiIndex.from_tuples(labels.values())
    with pd.option_context(
        "display.unicode.east_asian_width", True, "display.width", 200
    ):
        text = shown.to_string(index=False)
    return f"{text}\n{COVERAGE_NOTE_ZH}\n{COVERAGE_NOTE_EN}"
