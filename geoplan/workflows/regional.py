"""Analyses over many counties: one task per county, in this process or on Dask.

A provincial department runs the same coverage analysis for every county it
oversees. :class:`RegionalJob` names the counties (``"61"`` for all of
Shaanxi, a list of codes, ``"*"`` for China); :func:`run_regional` cuts the
work into one task per county — its demand, the facilities within reach of it
(across its border too) and its own street network — and runs them in this
process (``workers=0``), on a local Dask cluster (``workers=N``) or on a
running one (``scheduler="tcp://HOST:8786"`` or ``DASK_SCHEDULER_ADDRESS``).
The answers do not depend on where they were computed.

Finished counties are checkpointed beside the GeoPackage in batches
(``<out>.parts/``: Parquet files and ``done.jsonl``, with each county's inputs'
digest); a rerun reuses the counties whose inputs are unchanged and computes
the rest. A county whose
input is bad (a network file missing or unreadable, say) is listed in the
failures table with its reason while the others finish. A worker that dies
has its tasks run again elsewhere by the Dask scheduler.

Examples
--------
>>> from geoplan.workflows.regional import RegionalJob
>>> RegionalJob(counties="61", demand_units="town", facilities="f.csv",
...             coords="wgs84", radius_m=10000).county_codes(["610102000000"])
['610102']
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import os
import resource
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import Field, NonNegativeInt, field_validator
from scipy.spatial import cKDTree
from typing_extensions import override

from geoplan._geometry import has_location, lonlat_points
from geoplan._progress import note, step
from geoplan.access import coverage, modes
from geoplan.access.network import StreetNetwork, network_from_osm
from geoplan.errors import ValidationError
from geoplan.io import layers
from geoplan.io._atomic import atomic_path
from geoplan.io._tables import write_csv
from geoplan.io.export import write_geopackage
from geoplan.io.styles import COVERAGE_COLOURS, category_style
from geoplan.places import precision
from geoplan.places.gazetteer import Gazetteer
from geoplan.workflows._job import Job, Result
from geoplan.workflows.coverage import Method

#: Metres per degree of latitude (a lower bound, for search windows).
M_PER_DEG = 110_500.0
#: Levels the totals are summed to, with the digits of their codes.
TOTAL_LEVELS = {"city": 4, "province": 2}
#: Counts per county, city and province (the coverage statuses and the rest).
COUNTS = (
    "demand",
    precision.COVERED,
    precision.NOT_COVERED,
    precision.UNREACHABLE,
    precision.UNDETERMINED,
)
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"

#: A function building a county's street network from its code and the bounds
#: (west, south, east, north, WGS-84) of its demand and facilities (picklable).
NetworkFor = Callable[[str, tuple[float, float, float, float]], StreetNetwork]


class RegionalJob(Job):  # numpydoc ignore=PR02
    """
    A coverage analysis run county by county over a province or the country.

    Parameters
    ----------
    counties
        County codes: a prefix (``"61"`` all of Shaanxi, ``"6110"`` Shangluo),
        a list of codes or prefixes, or ``"*"`` for every county of China.
    demand_units
        Take the gazetteer's units of this level as demand (``town``: every
        town and street at its point; ``village``: every village at its point
        or its town's); or give `demand`.
    demand
        A demand layer whose `code_column` holds each row's unit code (its
        first six digits name the county).
    code_column
        The demand layer's unit-code column.
    facilities
        The facility layer (all counties; each task takes those within reach).
    method, network, mode
        Straight lines, or along street networks: `network` is a file, or a
        pattern with ``{county}`` (``"networks/{county}.osm.pbf"``) naming
        each county's own extract.
    workers
        0 (default) runs the counties one after another in this process; N
        starts a local Dask cluster of N worker processes.
    scheduler
        The address of a running Dask scheduler (``tcp://HOST:8786``); the
        default is ``DASK_SCHEDULER_ADDRESS`` when set.
    out, map
        The GeoPackage (CSV tables are written beside it) and the map of the
        counties (a map of the cities is written beside it).
    """

    demand: Path | str | None = None  # type: ignore[assignment]
    counties: str | list[str]
    demand_units: Literal["town", "village"] | None = None
    code_column: str = "code"
    facilities: Path | str
    facilities_layer: str | None = None
    demand_layer: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    method: Method | None = None
    workers: NonNegativeInt = 0
    scheduler: str | None = Field(default=None, validate_default=True)
    out: Path = Path("layers/regional.gpkg")

    @field_validator("scheduler", mode="before")
    @classmethod
    def _scheduler_from_environment(cls, value: Any) -> Any:
        """No address given: ``DASK_SCHEDULER_ADDRESS`` when set."""
        return value or os.environ.get(SCHEDULER_ENV) or None

    def _check(self) -> None:
        unused = [k for k in ("weight_column", "target_share") if getattr(self, k)]
        if unused:
            msg = (
                f"{', '.join(unused)}: not used county by county yet (the counts "
                "are of demand units, unweighted); leave it out"
            )
            raise ValueError(msg)
        if (self.demand is None) == (self.demand_units is None):
            msg = (
                "give the demand as a layer (--demand FILE with a code column) or "
                "as the gazetteer's units (demand_units = town or village), one"
            )
            raise ValueError(msg)
        if self.minutes is not None and self.network is None:
            msg = "--minutes needs --network (a file, or a pattern with {county})"
            raise ValueError(msg)

    @property
    def parts(self) -> Path:
        """
        The folder of finished counties (checkpoints) beside `out`.

        Returns
        -------
        Path
            ``<out>.parts``.
        """
        return self.out.with_name(self.out.name + ".parts")

    def county_codes(self, known: Sequence[str]) -> list[str]:
        """
        Return the six-digit codes of the counties the job names.

        Parameters
        ----------
        known
            The gazetteer's county codes (12 digits).

        Returns
        -------
        list of str
            Sorted; a ValidationError when a given code names no county.
        """
        given = [self.counties] if isinstance(self.counties, str) else self.counties
        codes = sorted({c[:6] for c in known})
        if "*" in given:
            return codes
        chosen, unknown = set(), []
        for prefix in (g.strip() for g in given):
            hits = [c for c in codes if c.startswith(prefix[:6].rstrip("0") or "-")]
            if len(prefix) >= 6:
                hits = [c for c in hits if c == prefix[:6]]
            chosen.update(hits)
            if not hits:
                unknown.append(prefix)
        if unknown:
            msg = (
                f"counties {unknown} name no county of the gazetteer: give county "
                "codes (610102), city or province prefixes (6110, 61) or '*'"
            )
            raise ValidationError(msg)
        return sorted(chosen)


@dataclass
class CountyTask:
    """One county's work: everything a worker needs, nothing more."""

    county: str
    demand: pd.DataFrame  # code, name, level, precision, lon, lat (WGS-84)
    facilities: pd.DataFrame  # indexed by facility id; name, lon, lat
    reach: dict[str, Any]  # radius_m / minutes / preset / method
    network: str | None = None  # the county's network file
    network_for: NetworkFor | None = None
    mode: str = "walk"

    def digest(self) -> str:
        """
        Return a digest of the inputs: a checkpoint is reused only for equal ones.

        Returns
        -------
        str
            Hex SHA-256 of the frames, the reach and the network file's size and
            modification time.
        """
        sha = hashlib.sha256()
        for frame in (self.demand, self.facilities):
            sha.update(pd.util.hash_pandas_object(frame, index=True).to_numpy())
            sha.update(",".join(map(str, frame.columns)).encode())
        stat = None
        if self.network and Path(self.network).is_file():
            info = Path(self.network).stat()
            stat = (info.st_size, info.st_mtime_ns)
        builder = getattr(self.network_for, "__qualname__", None)
        extra = [self.reach, self.network, stat, self.mode, builder]
        sha.update(json.dumps(extra, sort_keys=True, default=str).encode())
        return sha.hexdigest()


@dataclass
class CountyOutcome:
    """What a county's task returns: its table, or why it failed; its timing."""

    county: str
    table: pd.DataFrame | None
    error: str = ""
    seconds: float = 0.0
    peak_rss_mib: float = 0.0
    worker: str = ""
    digest: str = ""


def run_county(task: CountyTask) -> CountyOutcome:
    """
    Measure one county's coverage (the task each worker runs).

    A bad input (a network file missing or unreadable, coordinates that do
    not fit) makes a failed outcome with the reason, never an exception, so
    that the other counties finish.

    Parameters
    ----------
    task
        The county's demand, nearby facilities, reach and network.

    Returns
    -------
    CountyOutcome
        The demand rows with nearest facility, cost and status; the seconds
        taken and the worker process's peak memory.
    """
    started = time.perf_counter()
    try:
        table = _measure(task)
        error = ""
    except (ValidationError, ValueError, OSError, KeyError) as exc:
        table, error = None, f"{type(exc).__name__}: {exc}"
    return CountyOutcome(
        task.county,
        table,
        error,
        round(time.perf_counter() - started, 4),
        _peak_rss_mib(),
        f"{socket.gethostname()}:{os.getpid()}",
    )


def _peak_rss_mib() -> float:
    """Return the peak memory (MiB) of this process since it started its program.

    ``ru_maxrss`` is kept across ``exec``, so a worker spawned by a large client
    would report the client's peak; the kernel's ``VmHWM`` is the process's own.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _measure(task: CountyTask) -> pd.DataFrame:
    demand = lonlat_points(task.demand)
    facilities = lonlat_points(task.facilities)
    if facilities.empty or task.demand["lon"].isna().all():
        # no facility in reach, or no demand with a point: nothing to measure
        table = _uncovered(demand, task.reach)
        return _with_units(task, table)
    network = None
    if task.network_for is not None:
        both = pd.concat([task.demand[["lon", "lat"]], task.facilities[["lon", "lat"]]])
        bounds = (
            float(both["lon"].min()),
            float(both["lat"].min()),
            float(both["lon"].max()),
            float(both["lat"].max()),
        )
        network = task.network_for(task.county, bounds)
    elif task.network is not None:
        if not Path(task.network).is_file():
            msg = f"no network file {task.network} for county {task.county}"
            raise ValidationError(msg)
        network = network_from_osm(task.network, mode=task.mode)
    table = coverage.distance_coverage(
        demand, facilities, network=network, **task.reach
    )
    return _with_units(task, table)


def _with_units(task: CountyTask, table: pd.DataFrame) -> pd.DataFrame:
    kept = ["code", "name", "level", "precision", "lon", "lat"]
    return task.demand[kept].assign(county=task.county).join(table)


def _uncovered(demand: gpd.GeoDataFrame, reach: dict[str, Any]) -> pd.DataFrame:
    """No facility within the search window: not covered, whatever the precision."""
    unit = "s" if reach.get("minutes") is not None else "m"
    cost = coverage.NEAREST_COLUMN[unit]
    located = has_location(demand)
    return pd.DataFrame(
        {
            "nearest_facility": pd.Series(pd.NA, index=demand.index, dtype="object"),
            cost: np.nan,
            "coverage_status": np.where(
                located, precision.NOT_COVERED, precision.NOT_LOCATED
            ),
        },
        index=demand.index,
    )


@dataclass
class RegionalResult(Result):
    """Per-county tables, totals per city and province, failures and timings."""

    job: RegionalJob
    demand: pd.DataFrame
    counties: pd.DataFrame
    totals: pd.DataFrame
    failures: pd.DataFrame
    timings: pd.DataFrame
    resumed: int = 0
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """
        Return the result tables by name (the CSVs written beside the GeoPackage).

        Returns
        -------
        dict
            ``demand``, ``counties``, ``totals``, ``failures`` and ``timings``.
        """
        return {
            "demand": self.demand,
            "counties": self.counties,
            "totals": self.totals,
            "failures": self.failures,
            "timings": self.timings,
        }

    @override
    def write(self) -> list[Path]:
        job = self.job
        step(f"写出 writing {job.out}, its tables and maps")
        status_style = category_style("coverage_status", COVERAGE_COLOURS)
        spatial = {
            "demand": lonlat_points(self.demand),
            "counties": lonlat_points(self.counties),
            "totals": lonlat_points(self.totals),
        }
        write_geopackage(
            job.out,
            {**spatial, "failures": self.failures, "timings": self.timings},
            styles={"demand": status_style},
            provenance={
                "demand": str(job.demand or f"gazetteer {job.demand_units}s"),
                "facilities": str(job.facilities),
                "counties": str(job.counties),
            },
        )
        written = [job.out]
        for name, table in self.tables().items():
            path = job.out.with_name(f"{job.out.stem}-{name}.csv")
            write_csv(table, path, index=False)
            written.append(path)
        assert job.map is not None  # set by the job
        written += _maps(job, spatial["counties"], spatial["totals"])
        return written

    @override
    def summary(self) -> str:
        lines = [
            f"{len(self.counties)} counties measured ({self.resumed} from "
            f"checkpoints), {len(self.failures)} failed",
        ]
        shown = self.counties.sort_values("county")
        for row in shown.itertuples():
            lines.append(
                f"  {row.county} {row.name}: {row.covered}/{row.located} covered "
                f"({_pct(row.covered_share)}), {row.undetermined} undetermined"
            )
        for row in self.totals.itertuples():
            lines.append(
                f"{row.level} {row.code} {row.name}: {row.covered}/{row.located} "
                f"covered ({_pct(row.covered_share)}), {row.undetermined} "
                f"undetermined, {row.counties} counties"
            )
        lines += [
            f"FAILED {r.county} {r.name}: {r.reason}"
            for r in self.failures.itertuples()
        ]
        return "\n".join(lines)


def _pct(share: float) -> str:
    return "n/a" if pd.isna(share) else f"{share:.1%}"


def run_regional(
    job: RegionalJob,
    *,
    gazetteer: Gazetteer | None = None,
    network_for: NetworkFor | None = None,
) -> RegionalResult:
    """
    Run the job county by county and gather the outputs.

    Parameters
    ----------
    job
        The counties, demand, facilities, reach and where to run.
    gazetteer
        The units (default: the built-in gazetteer).
    network_for
        Instead of network files: a picklable function building each
        county's network from its code and the bounds of its demand and
        facilities (the benchmark's generated networks).

    Returns
    -------
    RegionalResult
        Per-county results, totals, failures and timings.
    """
    if job.method == "network" and job.network is None and network_for is None:
        msg = "--method network needs --network (a file or a {county} pattern)"
        raise ValidationError(msg)
    store = gazetteer if gazetteer is not None else Gazetteer.builtin()
    units = store.units
    counties = job.county_codes(units.index[units["level"] == "county"].tolist())
    demand = _demand(job, store, counties)
    facilities = _facilities(job)
    step(
        f"分县 {len(counties)} counties, {len(demand)} demand units, "
        f"{len(facilities)} facilities"
    )
    tasks = list(_tasks(job, counties, demand, facilities, network_for))
    digests = {t.county: t.digest() for t in tasks}
    done, todo = _Checkpoints(job.parts).resume(tasks, digests)
    if done:
        step(f"续算 {len(done)} counties reused from {job.parts}; {len(todo)} to run")
    outcomes = {o.county: o for o in done}
    for outcome in _execute(job, todo, digests, units):
        outcomes[outcome.county] = outcome
    return _gather(job, units, counties, outcomes, resumed=len(done))


def _demand(job: RegionalJob, store: Gazetteer, counties: list[str]) -> pd.DataFrame:
    """Demand rows with their county, unit code, precision and WGS-84 point."""
    wanted = set(counties)
    if job.demand_units is None:
        assert job.demand is not None
        frame = _read(job, job.demand, job.demand_layer)
        if job.code_column not in frame:
            msg = (
                f"{job.demand}: no column {job.code_column!r} with each row's unit "
                "code; name it with code_column"
            )
            raise ValidationError(msg)
        codes = frame[job.code_column].astype(str).str.strip()
        table = pd.DataFrame(
            {
                "code": codes,
                "name": frame.get("name", codes),
                "level": "",
                "precision": frame.get("precision", ""),
                "lon": frame.geometry.x,
                "lat": frame.geometry.y,
            },
            index=frame.index,
        )
        inside = table["code"].str[:6].isin(wanted)
        if not inside.all():
            note(
                f"{job.demand}: {int((~inside).sum())} rows whose {job.code_column} "
                f"lies in none of the counties chosen are left out (rows "
                f"{_first(table.index[~inside])})"
            )
        return table[inside]
    if job.demand_units == "village":
        for province in sorted({c[:2] for c in counties}):
            store.load_villages(province)
    units = store.units
    rows = units[
        (units["level"] == job.demand_units) & units.index.str[:6].isin(wanted)
    ]
    table = rows[["name", "level"]].join(store.placed(rows))
    table.index.name = None
    return table.assign(code=table.index).reset_index(drop=True)


def _read(job: RegionalJob, path: Path | str, layer: str | None) -> gpd.GeoDataFrame:
    return layers.read_points(
        path,
        coords=job.coords,
        layer=layer,
        lon_column=job.lon_column,
        lat_column=job.lat_column,
        duplicate_ids=job.duplicate_ids,
    )


def _facilities(job: RegionalJob) -> pd.DataFrame:
    frame = _read(job, job.facilities, job.facilities_layer)
    ids = frame["id"].astype(str) if "id" in frame else frame.index.astype(str)
    table = pd.DataFrame(
        {
            "name": frame.get("name", ids),
            "lon": frame.geometry.x,
            "lat": frame.geometry.y,
        }
    )
    table.index = pd.Index(ids, name="facility")
    if "precision" in frame:
        table["precision"] = frame["precision"].to_numpy()
    located = table["lon"].notna()
    if not located.all():
        note(
            f"{job.facilities}: {int((~located).sum())} facilities without a location "
            f"are left out ({_first(table.index[~located])}; the reasons are in "
            "their location_note)"
        )
    return table[located]


def _first(labels: pd.Index, shown: int = 5) -> str:
    more = f" and {len(labels) - shown} more" if len(labels) > shown else ""
    return ", ".join(map(str, labels[:shown])) + more


def _search_m(job: RegionalJob) -> float:
    """How far a facility can be and still decide a status: the reach's bound."""
    if job.minutes is not None:
        travel = modes.get(job.mode)
        fastest = max(
            [travel.speed_m_s, *(k / 3.6 for k in travel.speed_kmh.values())]
            + ([120 / 3.6] if travel.use_maxspeed else [])
        )
        return job.minutes * 60 * fastest + travel.max_off_network_m
    return job.reach_m


def _tasks(
    job: RegionalJob,
    counties: list[str],
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    network_for: NetworkFor | None,
) -> Iterator[CountyTask]:
    """One task per county with demand: its rows and the facilities in reach."""
    uncertainty = precision.uncertainty_m(demand)
    known = facilities.get("precision")
    slack = float(precision.uncertainty_m(facilities).max()) if known is not None else 0
    reach = {
        k: getattr(job, k)
        for k in ("radius_m", "minutes", "preset", "method")
        if getattr(job, k) is not None
    }
    by_county = demand.groupby(demand["code"].str[:6], sort=True).indices
    flon, flat = facilities["lon"].to_numpy(), facilities["lat"].to_numpy()
    nearest = _nearest(demand, facilities)
    network = str(job.network) if job.network is not None else None
    for county in counties:
        rows = by_county.get(county)
        if rows is None:
            continue
        mine = demand.iloc[rows]
        margin_m = _search_m(job) + float(uncertainty.iloc[rows].max()) + slack + 1000
        south, north = mine["lat"].min(), mine["lat"].max()
        dlat = margin_m / M_PER_DEG
        widest = np.cos(np.radians(min(max(abs(south), abs(north)) + dlat, 89.0)))
        dlon = margin_m / (M_PER_DEG * widest)
        near = (
            (flat >= south - dlat)
            & (flat <= north + dlat)
            & (flon >= mine["lon"].min() - dlon)
            & (flon <= mine["lon"].max() + dlon)
        )
        near[nearest[rows][nearest[rows] >= 0]] = True  # the nearest, however far
        yield CountyTask(
            county,
            mine,
            facilities[near],
            reach,
            network.replace("{county}", county) if network else None,
            network_for,
            job.mode,
        )


def _nearest(demand: pd.DataFrame, facilities: pd.DataFrame) -> np.ndarray:
    """Each demand row's nearest facility (position; -1 for none), on the sphere.

    Every county's task gets its rows' nearest facilities besides those in
    reach, so that the nearest it reports is the nearest of all.
    """
    found = np.full(len(demand), -1)
    located = demand["lon"].notna().to_numpy()
    if facilities.empty or not located.any():
        return found
    tree = cKDTree(_unit_vectors(facilities))
    found[located] = tree.query(_unit_vectors(demand[located]))[1]
    return found


def _unit_vectors(frame: pd.DataFrame) -> np.ndarray:
    lon = np.radians(frame["lon"].to_numpy(float))
    lat = np.radians(frame["lat"].to_numpy(float))
    return np.column_stack(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
    )


class _Checkpoints:
    """Finished counties, saved in batches beside the GeoPackage.

    Each batch is one Parquet file of the counties' rows, written atomically;
    then one line per county is appended to ``done.jsonl`` (its inputs' digest,
    time, memory, worker and batch). A county counts as saved once its line is
    there: a run killed mid-batch loses at most the counties of that batch.
    """

    LEDGER = "done.jsonl"

    def __init__(self, folder: Path, *, every_s: float = 2.0) -> None:
        self.folder, self.every_s = folder, every_s
        self.pending: list[CountyOutcome] = []
        self.flushed = time.monotonic()

    def records(self) -> dict[str, dict[str, Any]]:
        """Return the saved counties' records (a line cut by a crash is skipped)."""
        path = self.folder / self.LEDGER
        if not path.is_file():
            return {}
        records = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                record = json.loads(line)
                records[str(record["county"])] = record
        return records

    def resume(
        self, tasks: list[CountyTask], digests: dict[str, str]
    ) -> tuple[list[CountyOutcome], list[CountyTask]]:
        """Split the tasks into counties saved with the same inputs and the rest."""
        records = self.records()
        reused = {
            t.county: records[t.county]
            for t in tasks
            if records.get(t.county, {}).get("digest") == digests[t.county]
            and (self.folder / records[t.county]["part"]).is_file()
        }
        done = []
        for part, group in itertools.groupby(
            sorted(reused.items(), key=lambda kv: kv[1]["part"]),
            key=lambda kv: kv[1]["part"],
        ):
            rows = pd.read_parquet(self.folder / part)
            for county, record in group:
                done.append(
                    CountyOutcome(
                        county,
                        rows[rows["county"] == county],
                        seconds=record["seconds"],
                        peak_rss_mib=record["peak_rss_mib"],
                        worker=record["worker"],
                        digest=record["digest"],
                    )
                )
        return done, [t for t in tasks if t.county not in reused]

    def add(self, outcome: CountyOutcome) -> None:
        """Keep a finished county; save the batch when it is old enough."""
        if outcome.table is not None:
            self.pending.append(outcome)
        if time.monotonic() - self.flushed >= self.every_s:
            self.flush()

    def flush(self) -> None:
        """Save the counties kept since the last batch."""
        self.flushed = time.monotonic()
        if not self.pending:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        part = f"part-{time.time_ns()}.parquet"
        with atomic_path(self.folder / part) as tmp:
            pd.concat(
                [o.table for o in self.pending if o.table is not None]
            ).to_parquet(tmp, index=True)
        lines = [
            json.dumps(
                {
                    "county": o.county,
                    "digest": o.digest,
                    "seconds": o.seconds,
                    "peak_rss_mib": o.peak_rss_mib,
                    "worker": o.worker,
                    "part": part,
                }
            )
            for o in self.pending
        ]
        with (self.folder / self.LEDGER).open("a", encoding="utf-8") as ledger:
            ledger.write("".join(line + "\n" for line in lines))
            ledger.flush()
            os.fsync(ledger.fileno())
        self.pending.clear()


def _execute(
    job: RegionalJob,
    tasks: list[CountyTask],
    digests: dict[str, str],
    units: pd.DataFrame,
) -> Iterator[CountyOutcome]:
    """Run the tasks where the job says; checkpoint and report each as it ends."""
    address = job.scheduler
    if not tasks:
        return
    if address is None and job.workers == 0:
        stream: Iterator[CountyOutcome] = map(run_county, tasks)
        yield from _reported(job, stream, digests, units, len(tasks))
        return
    from distributed import Client, LocalCluster, as_completed

    chatty = logging.getLogger("distributed")  # Dask's INFO lines only with -v
    level = chatty.level
    chatty.setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
    cluster = None
    if address is None:
        step(f"集群 starting a local Dask cluster of {job.workers} workers")
        cluster = LocalCluster(
            n_workers=job.workers,
            threads_per_worker=1,
            processes=True,
            scheduler_kwargs={"dashboard": False},
            # the workers' shutdown chatter is not the user's; a county's own
            # failure comes back as its outcome, a lost worker is rerun
            silence_logs=logging.CRITICAL,
        )
        address = cluster.scheduler_address
    else:
        step(f"集群 sending {len(tasks)} county tasks to the scheduler {address}")
    try:
        with Client(address, timeout="30s") as client:
            futures = [
                client.submit(
                    run_county, t, key=f"geoplan-{t.county}-{digests[t.county][:16]}"
                )
                for t in tasks
            ]
            stream = (f.result() for f in as_completed(futures))
            yield from _reported(job, stream, digests, units, len(tasks))
    except OSError as exc:
        msg = (
            f"--scheduler {address}: cannot reach the Dask scheduler ({exc}); start "
            "one with `dask scheduler` and workers with `dask worker ADDRESS`, or "
            "give --workers N for a local cluster"
        )
        raise ValidationError(msg) from None
    finally:
        if cluster is not None:
            cluster.close()
        chatty.setLevel(level)


def _reported(
    job: RegionalJob,
    stream: Iterator[CountyOutcome],
    digests: dict[str, str],
    units: pd.DataFrame,
    total: int,
) -> Iterator[CountyOutcome]:
    saved = _Checkpoints(job.parts)
    try:
        for done, outcome in enumerate(stream, start=1):
            outcome.digest = digests[outcome.county]
            saved.add(outcome)
            name = units["name"].get(outcome.county.ljust(12, "0"), "")
            state = (
                f"failed: {outcome.error}"
                if outcome.error
                else f"{outcome.seconds:.2f} s"
            )
            step(f"县 {done}/{total} {outcome.county} {name}: {state}")
            yield outcome
    finally:
        saved.flush()


def _gather(
    job: RegionalJob,
    units: pd.DataFrame,
    counties: list[str],
    outcomes: dict[str, CountyOutcome],
    *,
    resumed: int,
) -> RegionalResult:
    ordered = [outcomes[c] for c in counties if c in outcomes]
    tables = [o.table for o in ordered if o.table is not None]
    demand = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=["code"])
    )
    failures = pd.DataFrame(
        [
            {"county": o.county, "name": _name(units, o.county), "reason": o.error}
            for o in ordered
            if o.error
        ],
        columns=["county", "name", "reason"],
    )
    timings = pd.DataFrame(
        [
            {
                "county": o.county,
                "name": _name(units, o.county),
                "demand": 0 if o.table is None else len(o.table),
                "seconds": o.seconds,
                "peak_rss_mib": o.peak_rss_mib,
                "worker": o.worker,
                "status": "failed" if o.error else "done",
            }
            for o in ordered
        ],
        columns=[
            "county",
            "name",
            "demand",
            "seconds",
            "peak_rss_mib",
            "worker",
            "status",
        ],
    )
    per_county = _totals(demand, units, "county", 6)
    totals = pd.concat(
        [
            _totals(demand, units, level, digits)
            for level, digits in TOTAL_LEVELS.items()
        ],
        ignore_index=True,
    )
    return RegionalResult(job, demand, per_county, totals, failures, timings, resumed)


def _name(units: pd.DataFrame, code: str) -> str:
    return str(units["name"].get(code.ljust(12, "0"), ""))


def _totals(
    demand: pd.DataFrame, units: pd.DataFrame, level: str, digits: int
) -> pd.DataFrame:
    """Count and share per unit of a level, at the unit's point."""
    if demand.empty:
        return pd.DataFrame(columns=["level", "code", "name", "counties", "lon", "lat"])
    status = demand["coverage_status"]
    key = demand["code"].str[:digits].str.ljust(12, "0")
    counts = (
        pd.DataFrame(
            {
                "demand": 1,
                "located": status != precision.NOT_LOCATED,
                **{s: status == s for s in COUNTS[1:]},
            }
        )
        .groupby(key)
        .sum()
    )
    counts["counties"] = demand.groupby(key)["code"].agg(lambda c: c.str[:6].nunique())
    counts["covered_share"] = counts[precision.COVERED] / counts["located"].where(
        counts["located"] > 0
    )
    counts["covered_share_max"] = (
        counts[precision.COVERED] + counts[precision.UNDETERMINED]
    ) / counts["located"].where(counts["located"] > 0)
    where = units.reindex(counts.index)
    out = counts.assign(
        level=level, name=where["name"].fillna(""), lon=where["lon"], lat=where["lat"]
    )
    out.index.name = "code"
    out = out.reset_index()
    if level == "county":
        out.insert(0, "county", out["code"].str[:6])
    columns = ["level", "code", "name", "counties", "demand", "located", *COUNTS[1:]]
    first = ["county"] if level == "county" else []
    return out[[*first, *columns, "covered_share", "covered_share_max", "lon", "lat"]]


def _maps(
    job: RegionalJob, counties: gpd.GeoDataFrame, totals: gpd.GeoDataFrame
) -> list[Path]:
    """One map per level: the counties, and the cities, coloured by covered share."""
    from geoplan.render import maps

    assert job.map is not None
    fields = {
        "name": "名称 name",
        "code": "代码 code",
        "located": "需求单元 demand units",
        precision.COVERED: "覆盖 covered",
        precision.UNDETERMINED: "待定 undetermined",
        "covered_share": "覆盖率 covered share",
    }
    written = []
    cities = totals[totals["level"] == "city"]
    for level, frame, path in (
        ("county", counties, job.map),
        ("city", cities, job.map.with_name(f"{job.map.stem}-cities.html")),
    ):
        shown = frame[frame["lon"].notna()].copy()
        if shown.empty:
            continue
        shown["share_class"] = [maps.share_class(s)[1] for s in shown["covered_share"]]
        colours = {
            label: (colour, label)
            for colour, label in (maps.share_class(s) for s in shown["covered_share"])
        }
        west, south, east, north = shown.total_bounds
        m = maps.new_map((west, south, east, north), basemap=job.basemap)
        maps.add_points(
            m,
            shown,
            name=f"{level} 覆盖率 covered share",
            fields=fields,
            colour_column="share_class",
            colours=colours,
            cluster=False,
        )
        written.append(maps.save(m, path))
    return written
