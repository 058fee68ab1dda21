"""The bundled example: Shangluo's relocation-site cemetery coverage, end to end.

:func:`run_shangluo` reads the transcribed plan table, counts coverage per
county, places the named sites and cemetery targets at the precision reached
offline, and writes a GeoPackage, CSV tables and an HTML map.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan import settings
from geoplan._progress import step
from geoplan.access import coverage, presets
from geoplan.cases.shangluo import relocation
from geoplan.io import gazetteer_files
from geoplan.io._guard import refuse_overwriting_inputs
from geoplan.io._tables import write_csv
from geoplan.io.export import write_geopackage
from geoplan.io.styles import PRECISION_COLOURS, category_style, share_style
from geoplan.places import boundaries, geocode, precision
from geoplan.places.gazetteer import Gazetteer
from geoplan.places.precision import uncertainty_m
from geoplan.render import maps
from geoplan.workflows.analysis import Analysis

if TYPE_CHECKING:
    import folium

logger = logging.getLogger(__name__)

SHANGLUO_PREFIX = "6110"
MAP_TITLE = "商洛市易地搬迁安置点公益性公墓覆盖（十四五规划）"
LEGEND_TITLE = "安置点公墓覆盖率 sites provided for"

#: The sentence printed and drawn under the coverage table.
COVERAGE_NOTE_ZH = (
    "注：安置点仅在规划表列明安排（新建或挂靠）时计为已覆盖；"
    "规划未说明已建公墓服务哪些安置点，公墓不计为安置点。"
    "“半径内/外”另计：安置点（按自身名称定位）到其指定公墓所在地的直线距离，"
    "计入两点定位精度的误差（村级约1公里、乡镇级约5公里、县级约30公里）后"
    "仍不超过（或仍超过） {radius} 米；误差使结论无法确定的计为“半径未定”。"
)
COVERAGE_NOTE_EN = (
    "Note: a site counts as provided for only where the plan's table names an "
    "arrangement for it (new or attached). The table does not say which sites the "
    "existing cemeteries serve, and a cemetery is not a site. 'within'/'beyond' "
    "are counted apart: the straight line from the site (located by its own name) "
    "to its assigned cemetery's place, widened by both points' precision (village "
    "about 1 km, town 5 km, county 30 km), is still within (or still beyond) "
    "{radius} m; where the precision leaves it open the site is 'undetermined'."
)


FINE = ("village", "town", "manual")
#: Columns of the coverage table counting sites by their reach of the cemetery.
REACH_COLUMNS = {
    "sites_within_radius": precision.COVERED,
    "sites_beyond_radius": precision.NOT_COVERED,
    "sites_radius_undetermined": precision.UNDETERMINED,
}
ARRANGEMENT_COLOURS = {
    "new": ("#1f78b4", "新建 new"),
    "attach": ("#a6cee3", "挂靠 attach"),
}
LAYER_STYLES = {
    "counties": share_style("provided_share"),
    "relocation_sites": category_style("precision", PRECISION_COLOURS),
    "cemetery_targets": category_style("arrangement", ARRANGEMENT_COLOURS),
}


def _qa_report(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """Sites per location precision, and each site placed coarser than a town."""
    counts = sites.groupby(["precision", "status"]).size().rename("rows").reset_index()
    counts["entry_id"] = ""
    counts["reason"] = "count"
    coarse = sites[~sites["precision"].isin(FINE)]
    detail = pd.DataFrame(
        {
            "precision": coarse["precision"],
            "status": coarse["status"],
            "rows": 1,
            "entry_id": coarse.index,
            "reason": coarse["explanation"],
        }
    )
    return pd.concat([counts, detail], ignore_index=True)


def _provenance(
    gz: Gazetteer,
    counties: gpd.GeoDataFrame,
    radius_m: float,
    overrides: geocode.Overrides | None,
) -> dict[str, object]:
    return {
        "inputs": {
            "plan": "商洛市“十四五”民政事业发展规划, 易地扶贫搬迁点村级公益性公墓规划 "
            "(seed lines 745-843), transcribed in geoplan/data/shangluo",
            "county_polygons": counties.attrs.get("source", ""),
        },
        "coordinate_systems": {
            "county_polygons": counties.attrs.get("source_crs", ""),
            "gazetteer_points": "WGS-84 (adcode GCJ-02 centres converted on import)",
            "output": "EPSG:4326",
        },
        "gazetteer": {
            "sources": sorted(set(gz.units["source"])),
            "vintages": sorted(set(gz.units["vintage"]) - {""}),
        },
        "preset": "rural-cemetery-5km" if radius_m == 5000 else "user radius",
        "cemetery_radius_m": radius_m,
        "manual_fixes": (
            f"{overrides.source}: {len(overrides.points)} fixes "
            f"({overrides.pending} rows not filled in)"
            if overrides is not None
            else "none"
        ),
        "method": "euclidean (distance from each site to its assigned cemetery)",
    }


def locate_sites(
    sites: pd.DataFrame,
    gz: Gazetteer,
    *,
    radius_m: float,
    overrides: geocode.Overrides | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """
    Place the sites and their cemetery targets; measure site-to-target distances.

    Sites are placed by their own name, else by their cemetery target (and then
    never count as "within reach": their place came from the target).

    Parameters
    ----------
    sites
        Named entries, as from :func:`geoplan.cases.shangluo.relocation.load`.
    gz
        The gazetteer.
    radius_m
        Radius for ``within_radius``.
    overrides
        Manual fixes for sites and cemetery targets (keyed by name and county).

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        Sites (with ``dist_to_target_m``, ``coverage_status`` --
        ``covered`` within `radius_m` for certain, ``not_covered`` beyond it
        for certain, ``undetermined`` where the points' precision leaves it
        open or the site was placed by its target --, ``uncertainty_m`` and
        ``within_radius``) and targets.
    """
    placed = geocode.geocode(
        sites["site_name"],
        gazetteer=gz,
        context=sites["county_code"],
        fallback=sites["target"],
        fallback_label="cemetery target",
        overrides=overrides,
    )
    targets = relocation.cemetery_targets(sites)
    targets.index = targets["county_code"] + ":" + targets["target"]
    targets = targets[~targets.index.duplicated()]
    target_points = geocode.geocode(
        targets["target"],
        gazetteer=gz,
        context=targets["county_code"],
        overrides=overrides,
    )
    site_layer = gpd.GeoDataFrame(
        sites.assign(target_key=sites["county_code"] + ":" + sites["target"]).join(
            placed.drop(columns="geometry")
        ),
        geometry=placed.geometry,
        crs=placed.crs,
    ).reset_index()
    site_layer.index = sites.index
    target_layer = gpd.GeoDataFrame(
        targets.join(target_points.drop(columns="geometry")),
        geometry=target_points.geometry,
        crs=target_points.crs,
    )
    site_layer["dist_to_target_m"] = coverage.assigned_distance(
        site_layer, target_layer, site_layer["target_key"]
    )
    spread = uncertainty_m(site_layer).to_numpy() + site_layer["target_key"].map(
        uncertainty_m(target_layer)
    ).to_numpy(float)
    distance = site_layer["dist_to_target_m"].to_numpy(float)
    state = precision.decide(distance - spread, distance + spread, radius_m)
    # a site placed by its cemetery's place says nothing of its own distance
    own_place = (site_layer["status"] != "matched_fallback").to_numpy()
    state[~own_place & (state != precision.NOT_LOCATED)] = precision.UNDETERMINED
    site_layer["coverage_status"] = state
    site_layer["uncertainty_m"] = np.where(own_place, spread, np.nan)
    site_layer["within_radius"] = state == precision.COVERED
    return site_layer, target_layer


@dataclass
class ShangluoResult:
    """What :func:`run_shangluo` computed and wrote."""

    coverage: pd.DataFrame
    validation: pd.DataFrame
    sites: gpd.GeoDataFrame
    targets: gpd.GeoDataFrame
    counties: gpd.GeoDataFrame
    files: dict[str, Path] = field(default_factory=dict)


def run_shangluo(  # noqa: PLR0913
    *,
    layers_folder: Path | None = None,
    maps_folder: Path | None = None,
    sources_folder: Path | None = None,
    gazetteer: Path | None = None,
    cemetery_radius_m: float | None = None,
    overrides: Path | None = None,
    basemap: str = "auto",
    write_map: bool = True,
    network: Path | None = None,
    mode: str = "drive",
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
        :data:`geoplan.cases.shangluo.relocation.SOURCES`.
    gazetteer
        The gazetteer store to place sites with; default the store at
        ``settings.gazetteer_path``, else the built-in gazetteer (town
        points and villages; sites without a place name stay at their county).
    cemetery_radius_m
        Radius within which a site counts as served by its assigned
        cemetery; default the ``rural-cemetery-5km`` preset.
    overrides
        A filled-in fixes table (name, code, lon, lat in WGS-84); its points
        always win and are reported as manual.
    basemap
        The map's basemap (see :mod:`geoplan.render.basemaps`).
    write_map
        Whether to write the HTML map and its PNG.
    network
        A street network (an OSM extract of Shangluo, ``.osm``, ``.osm.bz2``
        or ``.osm.pbf``): each site's way to its assigned cemetery is then
        measured along it too (``network_dist_to_target_m``,
        ``time_to_target_s``, ``network_status``).
    mode
        The travel mode on `network` (default ``drive``: people go by road).

    Returns
    -------
    ShangluoResult
        The coverage table, the validation report, the layers and the paths
        written.
    """
    layers_folder = Path(layers_folder or settings.layers_folder)
    maps_folder = Path(maps_folder or settings.maps_folder)
    refuse_overwriting_inputs(
        {
            "the gazetteer store": gazetteer,
            "the overrides file": overrides,
            "the network": network,
        },
        {
            "the demo's GeoPackage": layers_folder / "shangluo.gpkg",
            "the coverage table": layers_folder / "shangluo-relocation-coverage.csv",
            "the seed checks": layers_folder / "shangluo-relocation-validation.csv",
            "the map": maps_folder / "shangluo-relocation-cemeteries.html",
        },
    )
    sites = relocation.load("sites", sources_folder)
    totals = relocation.load("county_totals", sources_folder)
    types = relocation.load("community_types", sources_folder)
    validation = relocation.validation_report(sites, totals, types)

    radius_m = cemetery_radius_m or presets.get("rural-cemetery-5km").distance_m
    gz = Gazetteer.load(gazetteer)
    county_polygons = boundaries.counties(prefix=SHANGLUO_PREFIX)
    fixes = gazetteer_files.read_overrides(overrides) if overrides else None
    site_layer, target_layer = locate_sites(
        sites, gz, radius_m=radius_m, overrides=fixes
    )
    if network is not None:
        site_layer = _along_streets(site_layer, target_layer, network, mode)
    coverage_table = relocation.coverage_by_county(sites, totals)
    at = coverage_table.columns.get_loc("sites_unnamed")
    for offset, (column, state) in enumerate(REACH_COLUMNS.items()):
        per_county = (
            (site_layer["coverage_status"] == state)
            .groupby(site_layer["county_code"])
            .sum()
        )
        coverage_table.insert(
            at + offset,
            column,
            per_county.reindex(coverage_table.index)
            .fillna(per_county.sum())
            .astype("int64"),
        )
    coverage_table.attrs["cemetery_radius_m"] = radius_m
    county_layer = county_polygons[["county_code", "geometry"]].merge(
        coverage_table.reset_index(), on="county_code", how="left", validate="1:1"
    )
    logger.info(
        "Placed %d sites: %s",
        len(site_layer),
        site_layer["precision"].value_counts().to_dict(),
    )

    files = {
        "gpkg": write_geopackage(
            layers_folder / "shangluo.gpkg",
            {
                "counties": county_layer,
                "relocation_sites": site_layer.reset_index(drop=True),
                "cemetery_targets": target_layer.reset_index(drop=True),
                "seed_checks": validation,
                "qa_report": _qa_report(site_layer),
            },
            styles=LAYER_STYLES,
            provenance=_provenance(gz, county_polygons, radius_m, fixes)
            | {"network": site_layer.attrs.get("network", "none: straight lines")},
        ),
        "coverage_csv": layers_folder / "shangluo-relocation-coverage.csv",
        "validation_csv": layers_folder / "shangluo-relocation-validation.csv",
    }
    files.update(_fixes_template(site_layer, target_layer, layers_folder, overrides))
    write_csv(coverage_table, files["coverage_csv"], index=True)
    write_csv(validation, files["validation_csv"])
    if write_map:
        files["map"] = maps.save(
            _shangluo_map(county_layer, site_layer, radius_m, basemap),
            maps_folder / "shangluo-relocation-cemeteries.html",
        )
        files["png"] = maps.to_png(
            county_layer,
            maps_folder / "shangluo-relocation-cemeteries.png",
            share_column="provided_share",
            title=MAP_TITLE,
            points=site_layer,
            point_column="precision",
            point_colours=PRECISION_COLOURS,
            legend_title=LEGEND_TITLE,
            title_en="Shangluo relocation-site cemetery coverage",
        )
    return ShangluoResult(
        coverage_table, validation, site_layer, target_layer, county_layer, files
    )


def _along_streets(
    sites: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, path: Path, mode: str
) -> gpd.GeoDataFrame:
    """Each site's distance and travel time to its assigned cemetery, by street."""
    from geoplan.access.network import assigned_costs, network_from_osm

    step(f"路网 building the {mode} network from {path} (cached after the first run)")
    net = network_from_osm(path, mode=mode)
    step(
        f"路程 measuring each site's way to its cemetery along {len(net.edges)} streets"
    )
    measured = assigned_costs(sites, targets, sites["target_key"], net)
    # a site placed by its cemetery's place has no way of its own to measure
    by_target = (sites["status"] == "matched_fallback").to_numpy()
    measured.loc[by_target, ["dist_to_assigned_m", "time_to_assigned_s"]] = np.nan
    measured.loc[by_target, "assigned_status"] = precision.UNDETERMINED
    out = sites.assign(
        network_dist_to_target_m=measured["dist_to_assigned_m"],
        time_to_target_s=measured["time_to_assigned_s"],
        network_status=measured["assigned_status"],
    )
    out.attrs["network"] = f"{Path(path).name} ({mode})"
    return out


def _fixes_template(
    sites: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    folder: Path,
    overrides: Path | None,
) -> dict[str, Path]:
    """Write the sites and targets placed coarser than a town, ready to fill in."""
    template = pd.concat(
        [
            geocode.fixes_template(sites["site_name"], sites, sites["county_code"]),
            geocode.fixes_template(targets["target"], targets, targets["county_code"]),
        ],
        ignore_index=True,
    ).drop_duplicates(["name", "code"])
    path = folder / "shangluo-fixes.csv"
    written = gazetteer_files.write_fixes(template, path, reading=overrides)
    return {"fixes_csv": path} if written else {}


def _shangluo_map(
    counties: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, radius_m: float, basemap: str
) -> folium.Map:
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
        title=MAP_TITLE,
        legend_title=LEGEND_TITLE,
        legend_note=COVERAGE_NOTE_ZH.format(radius=f"{radius_m:g}"),
        basemap=basemap,
    )
    return maps.add_points(
        m,
        sites,
        name="已列名安置点（按定位精度）",
        colour_column="precision",
        colours=PRECISION_COLOURS,
        fields={
            "site_name": "安置点",
            "county": "县区",
            "town_as_written": "镇(街道)",
            "arrangement_as_written": "公墓安排",
            "precision": "定位精度",
            "dist_to_target_m": "至公墓直线距离(米)",
            **(
                {
                    "network_dist_to_target_m": "至公墓路程(米)",
                    "time_to_target_s": "至公墓用时(秒)",
                }
                if "time_to_target_s" in sites
                else {}
            ),
        },
    )


def format_report(result: ShangluoResult) -> str:
    """
    Render what a Shangluo run found, as `geoplan demo` and `geoplan run` print it.

    Parameters
    ----------
    result
        The tables and layers :func:`run_shangluo` computed and wrote.

    Returns
    -------
    str
        Title, coverage table and note, the seed's flagged checks, the sites'
        precision, their reach of the assigned cemetery (undetermined rows
        counted and explained), the fixes template and the files written.
    """
    lines = []
    if settings.lang in ("zh", "both"):
        lines.append("商洛市易地搬迁安置点公益性公墓覆盖")
    if settings.lang in ("en", "both"):
        lines.append("Shangluo relocation-site cemetery coverage")
    lines.append(format_coverage_table(result.coverage))
    flagged = result.validation[result.validation["status"] != "ok"]
    lines.append(f"\nSeed checks: {len(result.validation)} run, {len(flagged)} flagged")
    lines += [
        f"  [{row['status']}] {row['scope']}: {row['check']} "
        f"(expected {row['expected']}, found {row['found']})"
        for _, row in flagged.iterrows()
    ]
    sites = result.sites
    levels = sites["precision"].value_counts()
    lines.append("\nSites located: " + ", ".join(f"{k} {v}" for k, v in levels.items()))
    lines.append(reach_summary(sites, result.coverage.attrs["cemetery_radius_m"]))
    if "time_to_target_s" in sites:
        lines.append(street_summary(sites))
    coarse = int((~sites["precision"].isin(FINE)).sum())
    if coarse and "fixes_csv" in result.files:
        lines.append(
            f"{coarse} sites placed no finer than a county are listed with the "
            f"reason in {result.files['fixes_csv']}: fill in lon/lat (WGS-84) and "
            "rerun with --overrides FILE."
        )
    lines.append("\nWritten:")
    lines += [f"  {path}" for path in result.files.values()]
    return "\n".join(lines)


def reach_summary(sites: pd.DataFrame, radius_m: float) -> str:
    """
    Say how many sites lie within reach of their cemetery, and why some are open.

    Parameters
    ----------
    sites
        As from :func:`locate_sites`.
    radius_m
        The cemetery radius.

    Returns
    -------
    str
        One paragraph: within, beyond and undetermined counts; for the
        undetermined, the coarse precisions and the sites placed only by
        their cemetery's place, and how to decide them.
    """
    state = sites["coverage_status"]
    undetermined = state == precision.UNDETERMINED
    text = (
        f"Within {radius_m:g} m of their assigned cemetery: "
        f"{int((state == precision.COVERED).sum())} for certain, "
        f"{int((state == precision.NOT_COVERED).sum())} beyond for certain, "
        f"未定 {int(undetermined.sum())} undetermined"
    )
    if not undetermined.any():
        return text + "."
    by_target = undetermined & (sites["status"] == "matched_fallback")
    own = undetermined & ~by_target
    reasons = []
    if own.any():
        coarse = precision.coarse_summary(sites.loc[own, "precision"])
        reasons.append(
            f"{int(own.sum())} whose points are too coarse to tell ({coarse}, "
            "site and cemetery each)"
        )
    if by_target.any():
        reasons.append(
            f"{int(by_target.sum())} placed only by their cemetery's place, "
            "which says nothing of their own distance"
        )
    return (
        f"{text}: {'; '.join(reasons)}. They are counted apart, never as beyond "
        "reach. Town or village points (geoplan gazetteer import) or the plan "
        "office's coordinates (the fixes template, --overrides) decide them."
    )


def street_summary(sites: pd.DataFrame) -> str:
    """
    Say how long the sites' ways to their cemeteries take along the streets.

    Parameters
    ----------
    sites
        As from :func:`run_shangluo` with a network.

    Returns
    -------
    str
        Sites measured, the median and longest time and distance, and the
        sites with no way or no place of their own.
    """
    status = sites["network_status"]
    reached = sites[status == "reached"]
    minutes = reached["time_to_target_s"] / 60.0
    km = reached["network_dist_to_target_m"] / 1000.0
    text = (
        f"路程 Along the streets ({sites.attrs.get('network', 'network')}): "
        f"{len(reached)} sites reach their assigned cemetery"
    )
    if len(reached):
        slowest = reached.loc[reached["time_to_target_s"].idxmax()]
        text += (
            f", median {minutes.median():.1f} min ({km.median():.1f} km), longest "
            f"{minutes.max():.1f} min ({slowest['site_name']})"
        )
    counts = status[status != "reached"].value_counts()
    if len(counts):
        text += "; not measured: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    return text + "."


def format_coverage_table(coverage: pd.DataFrame) -> str:
    """
    Render the coverage table for a terminal, with bilingual headers.

    Parameters
    ----------
    coverage
        As from :func:`geoplan.cases.shangluo.relocation.coverage_by_county`.

    Returns
    -------
    str
        The table, followed by the counting note in Chinese and English.
    """
    labels = relocation.COVERAGE_LABELS
    shown = coverage[list(labels)].copy()
    shown["provided_share"] = shown["provided_share"].map("{:.1%}".format)
    headers = list(labels.values())
    if settings.lang == "both":
        shown.columns = pd.MultiIndex.from_tuples(headers)
    else:
        shown.columns = [zh if settings.lang == "zh" else en for zh, en in headers]
    with pd.option_context(
        "display.unicode.east_asian_width", True, "display.width", 200
    ):
        text = shown.to_string(index=False)
    radius = f"{coverage.attrs.get('cemetery_radius_m', 0):g}"
    notes = {"zh": [COVERAGE_NOTE_ZH], "en": [COVERAGE_NOTE_EN]}.get(
        settings.lang, [COVERAGE_NOTE_ZH, COVERAGE_NOTE_EN]
    )
    return "\n".join([text, *(n.format(radius=radius) for n in notes)])


#: The analysis-file job this case runs (``[analysis] job``).
JOB = "shangluo-relocation"


def run_analysis(
    job: Analysis, store: Path | None, layers_dir: Path, maps_dir: Path
) -> str:
    """
    Run the Shangluo analysis file: sites, plan progress, tables and map.

    Parameters
    ----------
    job
        The checked analysis file (job ``shangluo-relocation``).
    store
        The gazetteer store to use (None: the built-in gazetteer).
    layers_dir, maps_dir
        Where the layers and the map go.

    Returns
    -------
    str
        What the run reports, to print.
    """
    from geoplan.planning import plans, report

    fixes = job.file.gazetteer.overrides
    result = run_shangluo(
        layers_folder=layers_dir,
        maps_folder=maps_dir,
        gazetteer=store,
        overrides=job.resolve(fixes) if fixes else None,
        cemetery_radius_m=job.file.coverage.cemetery_radius_m,
        basemap=job.file.outputs.basemap,
        network=job.resolve(network)
        if (network := job.file.coverage.network)
        else None,
        mode=job.file.coverage.mode or "drive",
    )
    lines = ["[2/3] coverage", format_report(result)]
    plan = plans.load(job.file.plan.id or "shangluo")
    sites = relocation.load("sites").assign(
        within_radius=result.sites["within_radius"].to_numpy(),
        coverage_status=result.sites["coverage_status"].to_numpy(),
    )
    progress = plans.evaluate(
        plan,
        plans.Layers(
            tables=relocation.plan_tables(sites),
        ),
    )
    written = [
        report.write_excel(
            progress, layers_dir / f"{plan.id}-progress.xlsx", title=plan.name_zh
        ),
        report.write_csv(progress, layers_dir / f"{plan.id}-progress.csv"),
    ]
    lines.append(f"[3/3] plan {plan.id}:")
    computed = progress[progress["current"].notna() & (progress["scope"] == "all")]
    for _, row in computed.iterrows():
        lines.append(
            f"  {row['indicator']} {row['text_zh']}: {row['current']:g}{row['unit']} "
            f"(target {row['target']}{row['unit']}) - {row['status']}; {row['reason']}"
        )
    lines.append("Written: " + ", ".join(map(str, written)))
    return "\n".join(lines)
