"""One ingest path for facility and settlement tables: every row accounted for.

:func:`ingest_points` reads a CSV/XLSX table (or a frame) of points and applies
one policy per problem:

- **error** (the whole input is unusable: no rows, required columns missing,
  text in no known encoding, undeclared coordinate system): one message that
  names the file and lists every problem with its fix;
- **repair** (deterministic, the original kept beside it with a note):
  latitude and longitude swapped (decided per column from China's extent,
  not per row), codes Excel wrote as ``611002115220.0`` or with all digits in
  scientific notation;
- **reject** (the row kept in the ``rejected`` table with a reason code and
  its line in the file): blank lines, lines with more fields than the header,
  missing, zero, non-finite or out-of-China coordinates (China's polygon, not
  a box), codes that lost digits in scientific notation, repeated ids (or
  keep them, listed), unknown facility categories (with the closest
  registered ones suggested).

Doubts about the whole file go to ``report.notes``: the encoding, the
conversion, and a declared coordinate system that fits the county polygons
worse than another. The report always satisfies rows in = rows used + rows
rejected; ``report.qa_table()`` lists every rejection, repair and note.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import settings
from geoplan.errors import CRSError, DataSourceError, ValidationError
from geoplan.io.layers import LAT_NAMES, LON_NAMES, read_excel_text, read_text_table
from geoplan.places import boundaries
from geoplan.places.coords import SYSTEMS, CoordSystem, convert
from geoplan.places.crs import WGS84

logger = logging.getLogger(__name__)

#: China's extent used to decide which column holds longitudes.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
#: Column names taken as a row id when none is given.
ID_NAMES = ("id", "编号", "序号")
_PLAIN_CODE = re.compile(r"\d{6}(\d{3}(\d{3})?)?")
_FLOAT_CODE = re.compile(r"(\d{6}(?:\d{3}(?:\d{3})?)?)\.0+")
_SCI_CODE = re.compile(r"(\d)\.(\d+)[eE]\+?(\d+)")


@dataclass(eq=False)  # compared by identity: pandas compares frames' attrs
class IngestReport:
    """
    What happened to every row of an input.

    ``rows_in`` counts every data line of the file (blank lines and lines that
    do not fit the header included); each is either used (``rows_used``,
    of which ``rows_repaired`` after a repair) or in ``rejected`` with its
    ``source_row`` (the line number in the file), ``reason`` and ``detail``.
    ``repairs`` lists each repair; ``notes`` what was done to the whole file
    (its encoding, the coordinate conversion) and doubts about it.
    """

    source: str
    rows_in: int = 0
    encoding: str = ""
    repairs: list[dict[str, object]] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows_used: int = 0
    notes: list[str] = field(default_factory=list)
    repaired_rows: set[int] = field(default_factory=set)

    @property
    def rows_repaired(self) -> int:
        """
        Return how many of the rows used were repaired first.

        Returns
        -------
        int
            The number of distinct rows in ``repaired_rows``.
        """
        return len(self.repaired_rows)

    def summary(self) -> pd.DataFrame:
        """
        Count rows in, used (clean and repaired) and rejected by reason.

        Returns
        -------
        pandas.DataFrame
            Columns ``reason`` and ``rows``.
        """
        rows = [
            ("rows in", self.rows_in),
            ("rows used", self.rows_used),
            ("rows used after a repair", self.rows_repaired),
            ("cells repaired", len(self.repairs)),
        ]
        if len(self.rejected):
            rows += [
                (f"rejected: {k}", int(v))
                for k, v in self.rejected["reason"].value_counts().items()
            ]
        return pd.DataFrame(rows, columns=["reason", "rows"])

    def qa_table(self) -> pd.DataFrame:
        """
        List every rejected row, every repair and every note, one per line.

        Returns
        -------
        pandas.DataFrame
            Columns ``kind`` (``rejected``, ``repaired``, ``note``),
            ``source_row`` (line in the file; ``all`` for the whole file),
            ``reason``, ``detail``.
        """
        rows = [
            {
                "kind": "rejected",
                "source_row": str(r["source_row"]),
                "reason": r["reason"],
                "detail": r["detail"],
            }
            for _, r in self.rejected.iterrows()
        ]
        rows += [
            {
                "kind": "repaired",
                "source_row": str(r["row"]),
                "reason": f"{r['column']}: {r['original']} -> {r['repaired']}",
                "detail": r["note"],
            }
            for r in self.repairs
        ]
        rows += [
            {"kind": "note", "source_row": "all", "reason": "file", "detail": n}
            for n in self.notes
        ]
        return pd.DataFrame(rows, columns=["kind", "source_row", "reason", "detail"])

    def check(self) -> None:
        """Assert rows in = rows used + rows rejected, and repaired rows are used."""
        if self.rows_in != self.rows_used + len(self.rejected):
            msg = (
                f"{self.source}: {self.rows_in} rows in but {self.rows_used} used and "
                f"{len(self.rejected)} rejected"
            )
            raise AssertionError(msg)
        if self.rows_repaired > self.rows_used:
            msg = f"{self.source}: more rows repaired than used"
            raise AssertionError(msg)


def repair_code(text: object) -> tuple[str | None, str]:
    """
    Read an administrative code as text, undoing what spreadsheets do to it.

    Parameters
    ----------
    text
        The cell as read (text).

    Returns
    -------
    tuple
        (code, note): the 6/9/12-digit code and ``""`` when it was fine, the
        repaired code and a note when the repair is lossless, or ``None`` and
        the reason when digits may have been lost.
    """
    value = str(text).strip()
    if _PLAIN_CODE.fullmatch(value):
        return value, ""
    if match := _FLOAT_CODE.fullmatch(value):
        return match.group(1), f"{value!r} written as a number; trailing .0 removed"
    if match := _SCI_CODE.fullmatch(value):
        lead, digits, exponent = match.group(1), match.group(2), int(match.group(3))
        if exponent + 1 in (6, 9, 12) and len(digits) == exponent:
            return (
                lead + digits,
                f"{value!r} in scientific notation; all digits present",
            )
        return None, (
            f"{value!r} is in scientific notation with digits lost; re-export "
            "the column formatted as text"
        )
    return None, f"{value!r} is not a 6, 9 or 12-digit code"


def _share_in(values: pd.Series, low: float, high: float) -> float:
    finite = values[np.isfinite(values)]
    return float(((finite >= low) & (finite <= high)).mean()) if len(finite) else 0.0


def _find(columns: list[str], given: str | None, names: tuple[str, ...]) -> str | None:
    if given:
        return given if given in columns else None
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def ingest_points(  # noqa: C901, PLR0912, PLR0913, PLR0915
    source: Path | str | pd.DataFrame,
    *,
    coords: CoordSystem | None,
    id_column: str | None = None,
    duplicate_ids: Literal["reject", "keep"] = "reject",
    code_columns: tuple[str, ...] = (),
    category_column: str | None = None,
    category_check: Callable[[str], object] | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    required: tuple[str, ...] = (),
) -> tuple[gpd.GeoDataFrame, IngestReport]:
    """
    Read a table of points, repairing what can be repaired and rejecting the rest.

    Parameters
    ----------
    source
        A CSV/XLSX path, or a frame of text cells.
    coords
        The coordinate system of the coordinates (``wgs84``/``gcj02``/``bd09``).
    id_column
        Column whose values must be unique; found by name (``id``, ``编号``,
        ``序号``) when omitted.
    duplicate_ids
        ``"reject"`` (default) rejects every later row that repeats an id;
        ``"keep"`` uses them and lists them in ``report.notes``.
    code_columns
        Columns of administrative codes, read as text and repaired; a
        six-digit county code (or a longer code that starts with one) also
        lets the declared coordinate system be checked against the county
        polygons.
    category_column
        Column of facility categories, checked with `category_check`.
    category_check
        Raises ``KeyError`` (with the closest known names) for an unknown
        category, e.g. :func:`geoplan.planning.categories.category`; needed with
        `category_column`.
    lon_column, lat_column
        Coordinate columns (detected by name when omitted).
    required
        Further columns the table must have.

    Returns
    -------
    tuple
        The rows used (points in WGS-84, with ``source_row``, the line in the
        file) and the report; ``report.rejected`` holds every other row with
        ``reason`` and ``detail``.

    Raises
    ------
    ValidationError
        When the input as a whole is unusable; the message lists every problem.
    """
    name = str(source) if not isinstance(source, pd.DataFrame) else "table"
    report = IngestReport(source=name)
    if isinstance(source, pd.DataFrame):
        table = source.astype(str).replace({"nan": "", "None": ""})
        table.index = pd.Index(range(2, len(table) + 2), name="line")
        table.attrs["bad_rows"] = []
        report.encoding = "frame"
    elif Path(source).suffix.lower() in (".xlsx", ".xls"):
        table = read_excel_text(Path(source))
        report.encoding = "xlsx"
    else:
        table = read_text_table(Path(source), strict=False)
        report.encoding = table.attrs.get("encoding", "")
        if report.encoding == "gb18030":
            report.notes.append("text read as GBK/GB18030 (it is not UTF-8)")
    bad_rows = pd.DataFrame(
        table.attrs.get("bad_rows", []), columns=["line", "reason", "detail"]
    )
    report.rows_in = len(table) + len(bad_rows)
    columns = list(table.columns)
    lon_name = _find(columns, lon_column, LON_NAMES)
    lat_name = _find(columns, lat_column, LAT_NAMES)
    if id_column is None:
        id_column = _find(columns, None, ID_NAMES)
    problems = []
    if coords is None:
        problems.append(
            "the coordinate system is not declared: give wgs84, gcj02 or bd09"
        )
    if not len(table):
        problems.append("it has no rows")
    missing = [
        c
        for c in (*required, *code_columns, id_column, category_column)
        if c and c not in columns
    ]
    if lon_name is None or lat_name is None:
        missing.append(lon_column or "lon/经度")
        missing.append(lat_column or "lat/纬度")
    if missing:
        problems.append(
            f"columns {sorted(set(missing))} are missing (columns are "
            f"{columns}); rename them or name them with the options"
        )
    if problems:
        error = CRSError if coords is None and len(problems) == 1 else ValidationError
        raise error(f"{name}: " + "; ".join(problems) + ".")

    assert coords is not None  # checked above: an undeclared system is an error
    reasons = pd.Series("", index=table.index, dtype=object)
    details = pd.Series("", index=table.index, dtype=object)
    repaired_rows: set[int] = set()

    def reject(mask: pd.Series, reason: str, detail: pd.Series | str) -> None:
        fresh = mask & (reasons == "")
        reasons[fresh] = reason
        details[fresh] = detail[fresh] if isinstance(detail, pd.Series) else detail

    lon = pd.to_numeric(table[lon_name].str.strip(), errors="coerce")
    lat = pd.to_numeric(table[lat_name].str.strip(), errors="coerce")
    anywhere = settings.territory == "world"
    swapped = (
        not anywhere
        and _share_in(lon, *LAT_RANGE) > 0.8
        and _share_in(lat, *LON_RANGE) > 0.8
    )
    if swapped:
        lon, lat = lat, lon
        report.repairs.append(
            {
                "row": "all",
                "column": f"{lon_name}/{lat_name}",
                "original": "swapped",
                "repaired": "exchanged",
                "note": f"the {lon_name!r} column holds latitudes and {lat_name!r} "
                "longitudes (China's extent, decided for the whole column); "
                "every row was read with the two exchanged",
            }
        )
    blank = lon.isna() | lat.isna()
    reject(blank, "coordinates_missing", "blank or not a number")
    reject(~np.isfinite(lon) | ~np.isfinite(lat), "coordinates_not_finite", "inf")
    reject((lon == 0) & (lat == 0), "coordinates_zero", "0, 0")
    outside = ~pd.Series(
        boundaries.in_china(lon.fillna(0), lat.fillna(0)), index=table.index
    )
    where = pd.Series(
        [f"({x:.4f}, {y:.4f})" for x, y in zip(lon, lat, strict=True)],
        index=table.index,
    )
    if not anywhere:
        reject(
            outside,
            "outside_china",
            "the point " + where + " lies outside China's territory; check the "
            "coordinates and which column is longitude (or, for a place outside "
            "China given in WGS-84, pass --territory world)",
        )
    elif coords != "wgs84":  # the offsets are defined inside China only
        reject(
            outside,
            "outside_china",
            "the point " + where + f" lies outside China, where {coords} is not "
            "defined; give points outside China in WGS-84 (--coords wgs84)",
        )

    for column in code_columns:
        repaired = []
        for row, cell in table[column].items():
            code, note = repair_code(cell)
            if code is None:
                reject(
                    pd.Series(table.index == row, index=table.index),
                    "code_mangled",
                    f"{column}: {note}",
                )
                repaired.append(cell)
            else:
                if note:
                    repaired_rows.add(int(row))
                    report.repairs.append(
                        {
                            "row": int(row),
                            "column": column,
                            "original": cell,
                            "repaired": code,
                            "note": note,
                        }
                    )
                repaired.append(code)
        table[f"{column}_original"] = table[column]
        table[column] = repaired

    if category_column:
        if category_check is None:
            msg = "category_column needs category_check (e.g. categories.category)"
            raise ValueError(msg)
        unknown = {}
        for value in table[category_column].unique():
            try:
                category_check(value)
            except KeyError as exc:
                unknown[value] = str(exc)
        mask = table[category_column].isin(list(unknown))
        reject(mask, "unknown_category", table[category_column].map(unknown).fillna(""))

    if id_column:
        _duplicates(table, id_column, reasons, duplicate_ids, reject, report)

    bad = reasons != ""
    rejected = table[bad].assign(
        source_row=table.index[bad], reason=reasons[bad], detail=details[bad]
    )
    unread = bad_rows.rename(columns={"line": "source_row"})
    report.rejected = pd.concat(
        [rejected, unread] if len(unread) else [rejected], ignore_index=True
    ).sort_values("source_row", kind="stable", ignore_index=True)
    used = table[~bad].assign(source_row=table.index[~bad])
    x, y = convert(lon[~bad], lat[~bad], source=coords, target="wgs84")
    points = gpd.GeoDataFrame(
        used.reset_index(drop=True), geometry=gpd.points_from_xy(x, y), crs=WGS84
    )
    report.rows_used = len(points)
    report.repaired_rows = (
        set(points["source_row"].astype(int))
        if swapped
        else repaired_rows & set(points["source_row"].astype(int))
    )
    if coords != "wgs84":
        report.notes.append(f"coordinates converted from {coords} to WGS-84")
    if code_columns and len(points):
        doubt = check_declared_system(
            lon[~bad].to_numpy(),
            lat[~bad].to_numpy(),
            points[code_columns[0]].astype(str).str[:6].to_numpy(),
            declared=coords,
        )
        if doubt:
            report.notes.append(doubt)
            logger.warning("%s: %s", name, doubt)
    report.check()
    points.attrs["coords"] = coords
    return points, report


def _duplicates(
    table: pd.DataFrame,
    id_column: str,
    reasons: pd.Series,
    policy: str,
    reject: Callable[[pd.Series, str, str], None],
    report: IngestReport,
) -> None:
    """Reject (or keep and note) every later row that repeats an id."""
    ids = table[id_column].str.strip()
    repeated = ids.duplicated(keep="first") & (ids != "") & (reasons == "")
    if not repeated.any():
        return
    first = {v: i for i, v in ids[~ids.duplicated(keep="first")].items()}
    listed = ", ".join(f"{v!r} (line {first[v]})" for v in ids[repeated].unique()[:5])
    if policy == "keep":
        report.notes.append(
            f"{int(repeated.sum())} rows repeat an earlier {id_column} and are used "
            f"anyway (duplicate_ids='keep'): {listed}"
        )
        return
    detail = ids.map(lambda v: f"{id_column} {v!r} repeats line {first.get(v)}")
    reject(repeated, "duplicate_id", detail)
    report.notes.append(
        f"{int(repeated.sum())} rows repeat an earlier {id_column} and were rejected "
        f"({listed}); to use them, make the ids unique or keep duplicates "
        "(--duplicate-ids keep)"
    )


#: How many more points must fall in their stated county under another
#: coordinate system before the declared one is doubted.
DOUBT_MIN_ROWS = 3


def check_declared_system(
    lon: np.ndarray,
    lat: np.ndarray,
    county_codes: np.ndarray,
    *,
    declared: CoordSystem,
) -> str:
    """
    Doubt a declared coordinate system when another fits the county polygons better.

    Each point is placed under the declared system and under the others; the
    number that fall inside the county their row names is compared. GCJ-02
    shifts points by 300-700 m, so only points near a county border decide;
    the doubt is raised when another system puts at least
    :data:`DOUBT_MIN_ROWS` more points (and 2 % more) in their own county.

    Parameters
    ----------
    lon, lat
        The coordinates as given.
    county_codes
        The six-digit county code of each row.
    declared
        The system the user declared.

    Returns
    -------
    str
        A warning naming the evidence, or ``""`` when the declared system fits
        best (or the check cannot decide: no known county codes).
    """
    try:
        polygons = boundaries.counties()
    except DataSourceError:
        return ""
    polygons = polygons.set_index("county_code").geometry
    known = np.isin(county_codes, polygons.index)
    if known.sum() < DOUBT_MIN_ROWS:
        return ""
    shapes = polygons.loc[county_codes[known]].to_numpy()
    inside = {}
    for system in SYSTEMS:
        x, y = convert(lon[known], lat[known], source=system, target="wgs84")
        inside[system] = int(shapely.contains_xy(shapes, x, y).sum())
    best = max(inside, key=lambda s: inside[s])
    gain = inside[best] - inside[declared]
    if best == declared or gain < max(DOUBT_MIN_ROWS, 0.02 * known.sum()):
        return ""
    return (
        f"coordinates declared {declared}, but read as {best} {inside[best]} of "
        f"{int(known.sum())} points lie in the county their code names, against "
        f"{inside[declared]} as {declared}; check the declared system (--coords)"
    )


def repair_polygons(units: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """
    Make invalid unit polygons valid, reporting the area each repair changed.

    Parameters
    ----------
    units
        Unit polygons with a declared CRS.

    Returns
    -------
    tuple
        The repaired units and a table of repairs (row, area before and after
        in square metres, relative change).
    """
    invalid = ~units.is_valid
    if not invalid.any():
        return units, pd.DataFrame(
            columns=["row", "area_before_m2", "area_after_m2", "change"]
        )
    metric_crs = units.estimate_utm_crs()
    fixed = units.copy()
    fixed.loc[invalid, "geometry"] = units.loc[invalid, "geometry"].make_valid()
    log = pd.DataFrame(
        {
            "row": units.index[invalid],
            "area_before_m2": units.to_crs(metric_crs).area[invalid].to_numpy(),
            "area_after_m2": fixed.to_crs(metric_crs).area[invalid].to_numpy(),
        }
    )
    log["change"] = log["area_after_m2"] - log["area_before_m2"]
    return fixed, log


def assign_units(
    points: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, code_column: str = "code"
) -> tuple[pd.Series, pd.DataFrame]:
    """
    Give each point the unit it lies in; report points in none or in several.

    Overlapping units are resolved by the smallest code, and reported.

    Parameters
    ----------
    points
        Points (same CRS as `units`).
    units
        Unit polygons with a code column.
    code_column
        The code column of `units`.

    Returns
    -------
    tuple
        The unit code per point (NA where none) and a table of the points in no
        unit (``reason`` ``in_no_unit``) or in several (``in_several_units``).
    """
    if points.crs is None or units.crs is None or not points.crs.equals(units.crs):
        msg = (
            f"points ({points.crs}) and units ({units.crs}) must declare the same "
            "CRS; a mismatch would silently join nothing."
        )
        raise CRSError(msg)
    joined = gpd.sjoin(
        points[["geometry"]],
        units[[code_column, "geometry"]],
        predicate="within",
        how="left",
    )
    codes = joined.groupby(level=0)[code_column].agg(lambda s: sorted(s.dropna()))
    chosen = codes.map(lambda c: c[0] if c else pd.NA)
    issues = [
        {"point": i, "reason": "in_no_unit", "units": ""}
        for i, c in codes.items()
        if not c
    ]
    issues += [
        {"point": i, "reason": "in_several_units", "units": ";".join(map(str, c))}
        for i, c in codes.items()
        if len(c) > 1
    ]
    return chosen.reindex(points.index), pd.DataFrame(
        issues, columns=["point", "reason", "units"]
    )
