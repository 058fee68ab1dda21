"""Analysis files: one TOML file describes an analysis, ``geoplan run`` executes it.

Two jobs exist: ``shangluo-relocation`` (the bundled example: plan table,
gazetteer, coverage, GeoPackage, map, plan progress) and ``coverage`` (demand
and facility layers of your own: coverage, gaps, GeoPackage, map). Every key
is checked before anything runs; unknown keys are errors, so a typo never
passes silently. ``geoplan init`` writes a commented template.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoplan.errors import ValidationError
from geoplan.io._io import read_toml

logger = logging.getLogger(__name__)

KNOWN = {
    "analysis": {"name", "job"},
    "gazetteer": {"store", "import_adcode", "overrides"},
    "inputs": {"demand", "facilities"},
    "coverage": {
        "preset",
        "radius_m",
        "threshold_m",  # the old name of radius_m, still read
        "method",
        "network",
        "cemetery_radius_m",
        "target_share",
        "weight_column",
        "duplicate_ids",
    },
    "plan": {"id"},
    "recommend": {
        "candidates",
        "candidates_from",
        "candidates_grid_m",
        "units",
        "units_column",
        "store",
        "target_share",
        "k",
        "keep_within",
        "capacity_column",
        "time_limit_s",
    },
    "outputs": {"layers_dir", "maps_dir", "basemap", "gpkg", "map"},
}
JOBS = ("shangluo-relocation", "coverage")
LAYER_KEYS = {"path", "coords", "layer", "lon_column", "lat_column"}

TEMPLATE = """\
# geoplan analysis file. Run it with:  geoplan run THIS_FILE.toml
# Paths are relative to this file.

[analysis]
name = "我的覆盖分析 / my coverage analysis"
# job: "coverage" (your demand and facility layers) or "shangluo-relocation"
job = "coverage"

[gazetteer]  # used by the shangluo-relocation job
# store = "layers/gazetteer.gpkg"          # default: ~/.cache/geoplan/gazetteer.gpkg
# import_adcode = ["data/adcode/611*.csv"]  # town points (GCJ-02, converted)
# overrides = "layers/shangluo-fixes.csv"   # manual fixes name,code,lon,lat (WGS-84)

[inputs.demand]
path = "demand.csv"       # CSV/XLSX with lon/lat columns, or a GIS file
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
"""


@dataclass
class Analysis:
    """A validated analysis file."""

    path: Path
    data: dict[str, Any]

    @property
    def job(self) -> str:
        """
        The job to run.

        Returns
        -------
        str
            The ``[analysis] job`` value, e.g. ``"coverage"``.
        """
        return self.data["analysis"]["job"]

    def section(self, name: str) -> dict[str, Any]:
        """
        Return a section (empty when absent).

        Parameters
        ----------
        name
            The section's name, e.g. ``"coverage"``.

        Returns
        -------
        dict[str, Any]
            A copy of the section's keys and values; ``{}`` when absent.
        """
        return dict(self.data.get(name, {}))

    def resolve(self, value: str) -> Path:
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

    def adcode_files(self) -> list[Path]:
        """
        Expand the gazetteer's adcode globs.

        Returns
        -------
        list[Path]
            The matching files, sorted; an error when patterns match none.
        """
        patterns = self.section("gazetteer").get("import_adcode", [])
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
    problems = _problems(data)
    if problems:
        raise ValidationError(f"{path}: " + "; ".join(problems) + ".")
    coverage = data.get("coverage", {})
    if "threshold_m" in coverage:
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
    return Analysis(path, data)


def _key_problems(data: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for section, values in data.items():
        if section not in KNOWN:
            problems.append(f"unknown section [{section}]")
            continue
        if not isinstance(values, dict):
            problems.append(
                f"{section} = {values!r} must be a section: write [{section}] on "
                "its own line and its keys below it"
            )
            continue
        for key, value in values.items():
            if section == "inputs" and key in KNOWN["inputs"]:
                problems += _layer_problems(key, value)
            elif key not in KNOWN[section]:
                problems.append(f"[{section}] unknown key {key!r}")
            else:
                problems += _value_problems(f"[{section}] {key}", value, section, key)
    return problems


def _layer_problems(key: str, value: object) -> list[str]:
    if not isinstance(value, dict):
        return [
            f"[inputs] {key} = {value!r} must be a table: write [inputs.{key}] "
            'with path = "…" and coords = "wgs84|gcj02|bd09" below it'
        ]
    problems = []
    unknown = set(value) - LAYER_KEYS
    if unknown:
        problems.append(f"[inputs.{key}] unknown keys {sorted(unknown)}")
    if "path" not in value or "coords" not in value:
        problems.append(f"[inputs.{key}] needs path and coords")
    for name, item in value.items():
        if name in LAYER_KEYS:
            problems += _value_problems(f"[inputs.{key}] {name}", item, "inputs", name)
    return problems


#: Keys that hold a list of texts; every other key (not a number) holds text.
LIST_KEYS = {("gazetteer", "import_adcode")}


def _choices(section: str, key: str) -> tuple[str, ...]:
    """Return the values a key may take, where they are a fixed set."""
    from geoplan.access import presets
    from geoplan.places.coords import SYSTEMS
    from geoplan.render import basemaps

    if key == "coords":
        return SYSTEMS
    if (section, key) == ("coverage", "preset"):
        return tuple(presets.available())
    if (section, key) == ("coverage", "method"):
        return presets.METHODS
    if (section, key) == ("coverage", "duplicate_ids"):
        return ("reject", "keep")
    if (section, key) == ("outputs", "basemap"):
        return tuple(basemaps.available())
    return ()


def _value_problems(  # noqa: PLR0911
    where: str, value: object, section: str, key: str
) -> list[str]:
    """Wrong types and values outside a fixed set, each with what is expected."""
    if (section, key) in NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"{where} = {value!r} must be a number, written without quotes"]
        return []
    if (section, key) in LIST_KEYS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return [f'{where} = {value!r} must be a list of texts: ["…", "…"]']
        return []
    if not isinstance(value, str):
        return [f'{where} = {value!r} must be a text in quotes: {key} = "…"']
    choices = _choices(section, key)
    if choices and value not in choices:
        return [f"{where} = {value!r} is not one of {list(choices)}"]
    return []


#: Numbers in analysis files, checked as the command line checks them.
NUMBERS = {
    ("coverage", "radius_m"): "positive",
    ("coverage", "threshold_m"): "positive",
    ("coverage", "cemetery_radius_m"): "positive",
    ("coverage", "target_share"): "share",
    ("recommend", "target_share"): "share",
    ("recommend", "k"): "count",
    ("recommend", "candidates_grid_m"): "positive",
    ("recommend", "time_limit_s"): "positive",
}


def _number_problems(data: dict[str, Any]) -> list[str]:
    from geoplan import _numbers

    problems = []
    for (section, key), kind in NUMBERS.items():
        value = data.get(section, {}).get(key)
        if value is None:
            continue
        try:
            getattr(_numbers, kind)(str(value))
        except argparse.ArgumentTypeError as error:
            problems.append(f"[{section}] {key} {error}")
    return problems


def _problems(data: dict[str, Any]) -> list[str]:
    problems = _key_problems(data)
    if problems:  # the sections and types must be right before their values
        return problems
    problems = _number_problems(data)
    job = data.get("analysis", {}).get("job")
    if job not in JOBS:
        problems.append(f"[analysis] job must be one of {list(JOBS)}, got {job!r}")
    if "recommend" in data:
        problems += _recommend_problems(data["recommend"], job)
    if job == "coverage":
        inputs = data.get("inputs", {})
        problems += [
            f"[inputs.{k}] is missing"
            for k in ("demand", "facilities")
            if k not in inputs
        ]
    return problems


def _recommend_problems(recommend: dict[str, Any], job: object) -> list[str]:
    problems = []
    sources = [
        k
        for k in ("candidates", "candidates_from", "candidates_grid_m")
        if k in recommend
    ]
    if len(sources) != 1:
        problems.append(
            "[recommend] needs exactly one of candidates, candidates_from, "
            f"candidates_grid_m (got {sources or 'none'})"
        )
    if "candidates_grid_m" in recommend and "units" not in recommend:
        problems.append("[recommend] candidates_grid_m needs units")
    if "k" in recommend and "target_share" in recommend:
        problems.append("[recommend] give k or target_share, not both")
    if job != "coverage":
        problems.append("[recommend] belongs to a coverage analysis")
    return problems
