"""Analysis files: one TOML file describes an analysis, ``geoplan run`` executes it.

The job is ``coverage`` (demand and facility layers of your own: coverage,
gaps, GeoPackage, map, and where to build next) or a bundled case named in
``geoplan/data/cases.toml``, run by its own module. Every key
is checked before anything runs; unknown keys are errors, so a typo never
passes silently. ``geoplan init`` writes a commented template.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import pyogrio
from pydantic import Field, model_validator

from geoplan import _cases
from geoplan._models import FileModel, Loc, Positive, Share, one_of, validate
from geoplan.access import modes
from geoplan.errors import ValidationError
from geoplan.io._io import read_toml
from geoplan.io.export import geopackages_to_postgis
from geoplan.io.postgis import is_postgis
from geoplan.places.coords import CoordSystem
from geoplan.workflows._job import Reach
from geoplan.workflows.coverage import CoverageJob, Method
from geoplan.workflows.recommend import RecommendJob, SitingOptions
from geoplan.workflows.regional import RegionalJob

logger = logging.getLogger(__name__)


def jobs() -> list[str]:
    """
    Return the jobs an analysis file may name.

    Returns
    -------
    list of str
        ``coverage`` (your demand and facility layers), then the bundled cases.
    """
    return ["coverage", *_cases.cases()]


def _basemaps() -> list[str]:
    from geoplan.render import basemaps

    return basemaps.available()


class LayerInput(FileModel):
    """``[inputs.demand]``, ``[inputs.facilities]``: a layer and its coordinates."""

    path: str
    coords: CoordSystem
    layer: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None


class DemandInput(FileModel):
    """``[inputs.demand]``: a layer, or (over counties) the gazetteer's units."""

    path: str | None = None
    coords: CoordSystem | None = None
    units: Literal["town", "village"] | None = None
    code_column: str = "code"
    layer: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None


class AnalysisSection(FileModel):
    """``[analysis]``: the job to run and its name."""

    job: Annotated[str, one_of(jobs)]
    name: str | None = None
    counties: str | list[str] | None = None


class GazetteerSection(FileModel):
    """``[gazetteer]``: the store, adcode files to import, manual fixes."""

    store: str | None = None
    import_adcode: list[str] = Field(default_factory=list)
    overrides: str | None = None


class InputsSection(FileModel):
    """``[inputs]``: the demand and facility layers."""

    demand: DemandInput | None = None
    facilities: LayerInput | None = None


class CoverageSection(FileModel, Reach):
    """``[coverage]``: the reach, the method and the target."""

    method: Method | None = None
    network: str | None = None
    mode: Annotated[str, one_of(modes.available)] | None = None
    cemetery_radius_m: Positive | None = None


class PlanSection(FileModel):
    """``[plan]``: the bundled plan to report progress against."""

    id: str | None = None


class RecommendSection(FileModel, SitingOptions):
    """``[recommend]``: where to build next, within the coverage radius."""

    candidates: str | None = None
    units: str | None = None
    store: str | None = None
    target_share: Share | None = None


class OutputsSection(FileModel):
    """``[outputs]``: where layers and maps go, and the basemap."""

    layers_dir: str = "layers"
    maps_dir: str = "maps"
    basemap: Annotated[str, one_of(_basemaps)] = "auto"
    gpkg: str | None = None
    map: str | None = None
    postgis: str | None = None
    if_exists: Literal["fail", "replace", "append"] = "fail"


class AnalysisFile(FileModel):
    """A whole analysis file; sections that are absent take their defaults."""

    analysis: AnalysisSection
    gazetteer: GazetteerSection = GazetteerSection()
    inputs: InputsSection = InputsSection()
    coverage: CoverageSection = CoverageSection()
    plan: PlanSection = PlanSection()
    recommend: RecommendSection | None = None
    outputs: OutputsSection = OutputsSection()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = []
        job, rec = self.analysis.job, self.recommend
        if job == "coverage":
            problems += [
                f"[inputs.{k}] is missing"
                for k in ("demand", "facilities")
                if getattr(self.inputs, k) is None
            ]
        problems += _demand_problems(self.inputs.demand, self.analysis.counties)
        if self.analysis.counties is not None and job != "coverage":
            problems.append("[analysis] counties belongs to a coverage analysis")
        if rec is not None:
            sources = [
                k
                for k in ("candidates", "candidates_from", "candidates_grid_m")
                if getattr(rec, k) is not None
            ]
            if len(sources) != 1:
                problems.append(
                    "[recommend] needs exactly one of candidates, candidates_from, "
                    f"candidates_grid_m (got {sources or 'none'})"
                )
            if rec.candidates_grid_m is not None and rec.units is None:
                problems.append("[recommend] candidates_grid_m needs units")
            if rec.k is not None and rec.target_share is not None:
                problems.append("[recommend] give k or target_share, not both")
            if job != "coverage":
                problems.append("[recommend] belongs to a coverage analysis")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _demand_problems(demand: DemandInput | None, counties: object) -> list[str]:
    """List what is wrong with a demand input: a layer needs path and coords."""
    if demand is None:
        return []
    if demand.units is not None:
        if counties is None:
            return [
                "[inputs.demand] units needs [analysis] counties (the counties "
                "whose units are the demand)"
            ]
        if demand.path is not None:
            return ["[inputs.demand] give path or units, not both"]
        return []
    return [
        f"[inputs.demand] {key} is missing"
        for key in ("path", "coords")
        if getattr(demand, key) is None
    ]


#: Keys a section hands to its job as they are (paths are resolved apart).
_SAME_NAMES = {
    "coverage": {*Reach.model_fields, "method", "mode"},
    "recommend": set(SitingOptions.model_fields),
}

#: The keys each section takes (``inputs`` holds ``demand`` and ``facilities``).
KNOWN = {
    name: set(field.annotation.model_fields)  # type: ignore[union-attr]
    for name, field in AnalysisFile.model_fields.items()
    if name != "recommend"
} | {"recommend": set(RecommendSection.model_fields)}


def _where(loc: Loc, phrase: str, error: Mapping[str, Any]) -> str:  # noqa: PLR0911
    """Word a problem as the file is written: ``[coverage] radius_m …``."""
    kind, value = error["type"], error.get("input")
    if not loc:
        return phrase
    names = [str(p) for p in loc if not isinstance(p, int)]
    if kind == "extra_forbidden":
        if len(names) == 1:
            return f"unknown section [{names[0]}]"
        return f"[{'.'.join(names[:-1])}] unknown key {names[-1]!r}"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        if names == ["inputs", names[-1]] and len(names) == 2:
            return (
                f"[inputs] {names[1]} = {value!r} must be a table: write "
                f'[inputs.{names[1]}] with path = "…" and coords = '
                '"wgs84|gcj02|bd09" below it'
            )
        return (
            f"{names[0]} = {value!r} must be a section: write [{names[0]}] on "
            "its own line and its keys below it"
        )
    if kind == "list_type" or isinstance(loc[-1], int):
        return f'[{".".join(names[:-1])}] {names[-1]} must be a list of texts: ["…"]'
    if len(names) == 1:
        return f"[{names[0]}] {phrase}"
    return f"[{'.'.join(names[:-1])}] {names[-1]} {phrase}"


TEMPLATE = """\
# geoplan analysis file. Run it with:  geoplan run THIS_FILE.toml
# Paths are relative to this file.

[analysis]
name = "我的覆盖分析 / my coverage analysis"
# job: "coverage" (your demand and facility layers), or a bundled case's job
job = "coverage"

[gazetteer]  # used by jobs that place names (the bundled cases)
# store = "layers/gazetteer.gpkg"          # default: ~/.cache/geoplan/gazetteer.gpkg
# import_adcode = ["data/adcode/611*.csv"]  # town points (GCJ-02, converted)
# overrides = "layers/fixes.csv"            # manual fixes name,code,lon,lat (WGS-84)

[inputs.demand]
path = "demand.csv"       # CSV/XLSX with lon/lat columns, a GIS file, or PostGIS:
                          # "postgresql://HOST/DB?schema=S&table=T" (password from
                          # PGPASSWORD, ~/.pgpass or a service file)
coords = "wgs84"          # wgs84, gcj02 (高德/腾讯) or bd09 (百度): always declare it
# lon_column = "经度"
# lat_column = "纬度"
# layer = "geocoded"      # the layer of a GeoPackage holding several

[inputs.facilities]
path = "facilities.csv"
coords = "wgs84"

[coverage]
preset = "gb50180-15min"  # or radius_m = 1000
# method = "network"
# network = "city.osm.pbf"
# mode = "walk"             # on the network: walk, elderly_walk, cycle or drive
# weight_column = "households"
# target_share = 0.9
# duplicate_ids = "keep"  # rows repeating an id are rejected (and listed) by default

# [recommend]               # where to build next, within the coverage radius
# candidates = "sites.csv"  # or candidates_from = "421202" (gazetteer towns/villages)
#                           # or candidates_grid_m = 500 with units = "towns.gpkg"
# target_share = 0.9        # the fewest new sites to reach it; or k = 5
# keep_within = "town_code" # a site serves only demand of its own unit
# capacity_column = "places"

[outputs]
layers_dir = "layers"
maps_dir = "maps"
basemap = "auto"          # auto, tianditu-vec (TIANDITU_KEY), gaode, osm, none
# postgis = "postgresql://gis.example/planning?schema=coverage"  # also write the
#                           layers there (password from PGPASSWORD or ~/.pgpass)
# if_exists = "replace"     # fail (default), replace or append
"""


@dataclass
class Analysis:
    """
    A checked analysis file.

    Attributes
    ----------
    path
        The file; relative paths in it are resolved against its folder.
    file
        Its sections, checked and typed.
    layers_dir, maps_dir
        Where layers and maps go (``[outputs]``, resolved).
    """

    path: Path
    file: AnalysisFile
    layers_dir: Path = field(init=False)
    maps_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        """Resolve the output folders against the file's folder."""
        self.layers_dir = self.resolve(self.file.outputs.layers_dir)
        self.maps_dir = self.resolve(self.file.outputs.maps_dir)

    @property
    def job(self) -> str:
        """
        The job to run.

        Returns
        -------
        str
            The ``[analysis] job`` value, e.g. ``"coverage"``.
        """
        return self.file.analysis.job

    def resolve(self, value: str | Path) -> Path:
        """
        Resolve a path relative to the analysis file (``a/../b`` as ``b``).

        Parameters
        ----------
        value
            A path as written in the file.

        Returns
        -------
        Path
            The normalised path.
        """
        path = Path(value)
        return Path(
            os.path.normpath(path if path.is_absolute() else self.path.parent / path)
        )

    def source(self, value: str) -> Path | str:
        """
        Resolve a layer source: a PostGIS URL as written, a path as :meth:`resolve`.

        Parameters
        ----------
        value
            A path or ``postgresql://…`` as written in the file.

        Returns
        -------
        Path or str
            The normalised path, or the URL.
        """
        return value if is_postgis(value) else self.resolve(value)

    def publish(self, gpkgs: list[Path]) -> list[str]:
        """
        Write the run's GeoPackages to ``[outputs] postgis`` in one transaction.

        Each table is named ``<GeoPackage name>_<layer>``.

        Parameters
        ----------
        gpkgs
            The GeoPackages the run wrote.

        Returns
        -------
        list of str
            ``schema.table`` of each table written (none without a URL).
        """
        url = self.file.outputs.postgis
        if url is None:
            return []
        sources = {
            path: (f"{path.stem}_", [str(n) for n, _ in pyogrio.list_layers(path)
                                     if n != "layer_styles"])
            for path in gpkgs
        }  # fmt: skip
        return geopackages_to_postgis(
            sources, url, if_exists=self.file.outputs.if_exists
        )

    def _optional(self, value: str | None) -> Path | None:
        return None if value is None else self.resolve(value)

    def coverage_job(self) -> CoverageJob:
        """
        Return the coverage job the file describes (job ``coverage``).

        Returns
        -------
        CoverageJob
            Demand and facilities from ``[inputs]``, the reach from
            ``[coverage]``, the outputs from ``[outputs]`` (default
            ``<layers_dir>/<file name>.gpkg`` and ``<maps_dir>/<file name>.html``).
        """
        inputs, cov, out = self.file.inputs, self.file.coverage, self.file.outputs
        assert inputs.demand is not None
        assert inputs.demand.path is not None  # checked: units need counties
        assert inputs.facilities is not None
        name = self.path.stem
        return CoverageJob(
            demand=self.source(inputs.demand.path),
            facilities=self.source(inputs.facilities.path),
            demand_layer=inputs.demand.layer,
            facilities_layer=inputs.facilities.layer,
            coords=inputs.demand.coords,
            lon_column=inputs.demand.lon_column,
            lat_column=inputs.demand.lat_column,
            network=self._optional(cov.network),
            **cov.model_dump(include=_SAME_NAMES["coverage"], exclude_none=True),
            out=self.resolve(out.gpkg or self.layers_dir / f"{name}.gpkg"),
            map=self.resolve(out.map or self.maps_dir / f"{name}.html"),
            basemap=out.basemap,
        )

    def regional_job(
        self, *, workers: int = 0, scheduler: str | None = None
    ) -> RegionalJob:
        """
        Return the county-by-county job of a coverage analysis over counties.

        Parameters
        ----------
        workers
            Worker processes of a local Dask cluster; 0 runs in this process.
        scheduler
            The address of a running Dask scheduler.

        Returns
        -------
        RegionalJob
            ``[analysis] counties``, the demand (a layer or the gazetteer's
            units), the facilities, the reach and the outputs.
        """
        inputs, cov, out = self.file.inputs, self.file.coverage, self.file.outputs
        demand, facilities = inputs.demand, inputs.facilities
        assert demand is not None
        assert facilities is not None
        assert self.file.analysis.counties is not None
        name = self.path.stem
        return RegionalJob(
            counties=self.file.analysis.counties,
            demand=None if demand.path is None else self.source(demand.path),
            demand_units=demand.units,
            code_column=demand.code_column,
            demand_layer=demand.layer,
            facilities=self.source(facilities.path),
            facilities_layer=facilities.layer,
            coords=facilities.coords,
            lon_column=facilities.lon_column,
            lat_column=facilities.lat_column,
            network=self._optional(cov.network),
            **cov.model_dump(include=_SAME_NAMES["coverage"], exclude_none=True),
            workers=workers,
            scheduler=scheduler,
            out=self.resolve(out.gpkg or self.layers_dir / f"{name}.gpkg"),
            map=self.resolve(out.map or self.maps_dir / f"{name}.html"),
            basemap=out.basemap,
        )

    def recommend_job(self, coverage: CoverageJob) -> RecommendJob | None:
        """
        Return the siting job of ``[recommend]``, within the coverage radius.

        Parameters
        ----------
        coverage
            The file's coverage job: its demand, existing facilities, reach,
            network and basemap carry over.

        Returns
        -------
        RecommendJob or None
            None when the file has no ``[recommend]``.
        """
        rec = self.file.recommend
        if rec is None:
            return None
        name = f"{self.path.stem}-recommend"
        target = rec.target_share or self.file.coverage.target_share
        return RecommendJob(
            demand=coverage.demand,
            existing=coverage.facilities,
            coords=coverage.coords,
            duplicate_ids=coverage.duplicate_ids,
            weight_column=coverage.weight_column,
            candidates=self._optional(rec.candidates),
            units=self._optional(rec.units),
            store=self._optional(rec.store),
            radius_m=coverage.reach_m,
            **rec.model_dump(include=_SAME_NAMES["recommend"]),
            target_share=None if rec.k is not None else (target or 1.0),
            network=coverage.network,
            mode=coverage.mode,
            map=self.maps_dir / f"{name}.html",
            basemap=coverage.basemap,
            out=self.layers_dir / f"{name}.gpkg",
        )

    def adcode_files(self) -> list[Path]:
        """
        Expand the gazetteer's adcode globs.

        Returns
        -------
        list[Path]
            The matching files, sorted; an error when patterns match none.
        """
        patterns = self.file.gazetteer.import_adcode
        found = [glob.glob(str(self.resolve(p))) for p in patterns]  # noqa: PTH207
        files = sorted(Path(f) for group in found for f in group)
        if patterns and not files:
            msg = f"{self.path}: [gazetteer] import_adcode matches no file: {patterns}."
            raise ValidationError(msg)
        return files


def load(path: Path | str) -> Analysis:
    """
    Read and check an analysis file, listing every problem at once.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    Analysis
        The checked analysis.
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found; `geoplan init {path}` writes a template."
        raise ValidationError(msg)
    data = read_toml(path, what="analysis file")
    coverage = data.get("coverage")
    if isinstance(coverage, dict) and "threshold_m" in coverage:
        if "radius_m" in coverage:
            msg = (
                f"{path}: [coverage] give radius_m only (threshold_m is its old name)."
            )
            raise ValidationError(msg)
        logger.warning(
            "%s: [coverage] threshold_m is deprecated; write radius_m (same meaning).",
            path,
        )
        coverage["radius_m"] = coverage.pop("threshold_m")
    model = validate(AnalysisFile, data, source=str(path), where=_where)
    return Analysis(path, model)
