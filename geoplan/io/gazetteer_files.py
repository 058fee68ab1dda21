"""
Files of places: gazetteer stores and sources, manual fixes, fixes templates.

The gazetteer (:mod:`geoplan.places.gazetteer`) and the geocoder
(:mod:`geoplan.places.geocode`) know nothing of files; this module reads adcode CSVs and
any table of units into gazetteer units, writes and names the gazetteer store,
reads the manual fixes a planner fills in and writes the template they start from.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan import settings
from geoplan._geometry import has_location
from geoplan.errors import DataSourceError, ValidationError
from geoplan.io._tables import write_csv
from geoplan.io.export import write_geopackage
from geoplan.io.ingest import repair_code
from geoplan.io.layers import LAT_NAMES, LON_NAMES, read_points
from geoplan.places.coords import CoordSystem, convert
from geoplan.places.gazetteer import LEVELS, Gazetteer, as_units, pad_code
from geoplan.places.geocode import Overrides, unit_prefix
from geoplan.places.matcher import normalise

logger = logging.getLogger(__name__)


ADCODE_COLUMNS = [
    "code",
    "parent",
    "name",
    "level",
    "rank",
    "adcode",
    "post_code",
    "area_code",
    "ur_code",
    "municipality",
    "virtual",
    "dummy",
    "longitude",
    "latitude",
    "center",
    "province",
    "city",
    "county",
    "town",
    "village",
]

#: How an adcode CSV is read: no header, the 20 columns above, every cell text.
_ADCODE_CSV = {
    "header": None,
    "names": ADCODE_COLUMNS,
    "index_col": False,
    "dtype": str,
    "keep_default_na": False,
    "encoding": "utf-8",
}


def _read_adcode_file(path: Path | str) -> pd.DataFrame:
    """One adcode CSV, every row checked; problems raised with file and row."""
    fix = (
        "adcode files are UTF-8 CSV without a header, 20 columns as in "
        "adcode.ddl (code, parent, name, level, …)"
    )
    if not Path(path).is_file():
        msg = f"{path}: file not found."
        raise DataSourceError(msg)
    try:
        with warnings.catch_warnings():
            # pandas warns, then cuts, rows wider than the 20 columns
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, **_ADCODE_CSV)
    except pd.errors.ParserWarning:
        msg = f"{path}: some rows have more than {len(ADCODE_COLUMNS)} columns; {fix}."
        raise ValidationError(msg) from None
    except UnicodeDecodeError as error:
        msg = f"{path}: not UTF-8 ({error.reason} at byte {error.start}); {fix}."
        raise ValidationError(msg) from None
    except pd.errors.EmptyDataError:
        msg = f"{path}: the file is empty; {fix}."
        raise ValidationError(msg) from None
    except pd.errors.ParserError as error:
        msg = f"{path}: {error}; {fix}."
        raise ValidationError(msg) from None
    if frame.empty:
        msg = f"{path}: the file has no rows; {fix}."
        raise ValidationError(msg)
    bad_code = ~frame["code"].str.fullmatch(r"\d{12}")
    bad_level = ~frame["level"].isin([*LEVELS, "country"])
    bad = bad_code | bad_level
    if bad.any():
        rows = [
            f"row {i + 1}: "
            + ("code " + repr(frame.at[i, "code"]) if bad_code[i] else "")
            + (", " if bad_code[i] and bad_level[i] else "")
            + ("level " + repr(frame.at[i, "level"]) if bad_level[i] else "")
            for i in frame.index[bad][:5]
        ]
        msg = (
            f"{path}: {int(bad.sum())} rows are not adcode rows ({'; '.join(rows)}); "
            f"{fix}, level one of {[*LEVELS, 'country']}."
        )
        raise ValidationError(msg)
    return frame


def read_adcode(
    paths: Iterable[Path | str], *, progress: Callable[[int], None] | None = None
) -> pd.DataFrame:
    """
    Read adcode CSV files (no header; points in GCJ-02) into gazetteer units.

    The column layout is that of Vonng/adcode (``adcode.ddl``): code, parent,
    name, level, rank, adcode, post_code, area_code, ur_code, municipality,
    virtual, dummy, longitude, latitude, center, province, city, county, town,
    village. Points are converted from GCJ-02 to WGS-84.

    Parameters
    ----------
    paths
        CSV files, e.g. one per county.
    progress
        Called with the number of files read after each file.

    Returns
    -------
    pandas.DataFrame
        Units in the :data:`COLUMNS` layout (the country row left out; a unit
        repeated across files, such as the city in every county file, once).

    Raises
    ------
    ValidationError
        For a file that is not UTF-8, has rows of another width, or rows
        whose code is not 12 digits or whose level is unknown.
    """
    frames = []
    for done, path in enumerate(paths, start=1):
        frames.append(_read_adcode_file(path))
        if progress is not None:
            progress(done)
    if not frames:
        msg = "No adcode files given."
        raise ValidationError(msg)
    raw = pd.concat(frames, ignore_index=True)
    raw = raw[raw["level"].isin(LEVELS)].drop_duplicates("code")
    lon = pd.to_numeric(raw["longitude"], errors="coerce").to_numpy()
    lat = pd.to_numeric(raw["latitude"], errors="coerce").to_numpy()
    wgs_lon, wgs_lat = convert(lon, lat, source="gcj02", target="wgs84")
    units = pd.DataFrame(
        {
            "name": raw["name"].to_numpy(),
            "level": raw["level"].to_numpy(),
            "parent_code": raw["parent"].to_numpy(),
            "lon": wgs_lon,
            "lat": wgs_lat,
            "point_source": np.where(
                np.isfinite(wgs_lon), "adcode centre (GCJ-02, converted)", ""
            ),
            "source": "adcode by Vonng, CC BY 4.0",
            "vintage": "2016-07-31",
        },
        index=pd.Index(raw["code"].to_numpy(), name="code"),
    )
    return as_units(units)


def _rows(frame: pd.DataFrame) -> list[object]:
    """Row numbers as the user sees them: the table's line, else the feature."""
    if "source_row" in frame.columns:
        return frame["source_row"].tolist()
    return [f"feature {i}" for i in range(1, len(frame) + 1)]


def _unit_codes(path: Path | str, frame: pd.DataFrame, column: str) -> list[str]:
    """Return a column of codes, repaired where lossless and padded; else raise."""
    codes, problems = [], []
    for row, cell in zip(_rows(frame), frame[column], strict=True):
        code, note = repair_code(cell)
        if code is None:
            problems.append(f"row {row}: {note}")
            codes.append("")
            continue
        if note:
            logger.info("%s row %s, %s: %s", path, row, column, note)
        codes.append(pad_code(code))
    if problems:
        msg = (
            f"{path}: column {column!r} has {len(problems)} cells that are not "
            f"6-, 9- or 12-digit codes ({'; '.join(problems[:5])})."
        )
        raise ValidationError(msg)
    return codes


def read_table(  # noqa: PLR0913
    path: Path | str,
    *,
    name_column: str,
    code_column: str,
    level: str,
    coords: CoordSystem,
    lon_column: str | None = None,
    lat_column: str | None = None,
    parent_column: str | None = None,
    source: str = "",
) -> pd.DataFrame:
    """
    Read any table of units with names, codes and points into gazetteer units.

    Parameters
    ----------
    path
        CSV/XLSX (with longitude/latitude columns) or a GIS point file.
    name_column, code_column
        Columns with the unit's name and its 6- to 12-digit code.
    level
        The level of every row (``"town"``, ``"village"``, ...).
    coords
        The coordinate system of the points: ``wgs84``, ``gcj02`` or ``bd09``.
    lon_column, lat_column
        Coordinate columns of a table (detected when omitted).
    parent_column
        Column with the parent's code, when the table has one.
    source
        Provenance to record; default the file name.

    Returns
    -------
    pandas.DataFrame
        Units in the :data:`COLUMNS` layout.
    """
    if level not in LEVELS:
        msg = f"`level` must be one of {list(LEVELS)}, got {level!r}."
        raise ValueError(msg)
    frame = read_points(
        path, coords=coords, lon_column=lon_column, lat_column=lat_column
    )
    wanted = [c for c in (name_column, code_column, parent_column) if c]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        columns = [c for c in frame.columns if c not in ("geometry", "location_note")]
        msg = f"{path}: no column {missing}; columns are {columns}."
        raise ValidationError(msg)
    codes = _unit_codes(path, frame, code_column)
    repeated = pd.Series(codes, index=_rows(frame)).duplicated(keep=False)
    if repeated.any():
        rows = repeated.index[repeated].tolist()
        msg = (
            f"{path}: codes repeat in rows {rows[:10]} of column {code_column!r}; "
            "a unit appears once (keep one row per code)."
        )
        raise ValidationError(msg)
    has = has_location(frame)
    units = pd.DataFrame(
        {
            "name": frame[name_column].astype(str).to_numpy(),
            "level": level,
            "parent_code": (
                _unit_codes(path, frame, parent_column) if parent_column else ""
            ),
            "lon": np.where(has, frame.geometry.x.where(has), np.nan),
            "lat": np.where(has, frame.geometry.y.where(has), np.nan),
            "point_source": np.where(has, f"{Path(path).name} ({coords})", ""),
            "source": source or Path(path).name,
        },
        index=pd.Index(codes, name="code"),
    )
    return as_units(units)


def save_gazetteer(gazetteer: Gazetteer, path: Path | None = None) -> Path:
    """
    Write the gazetteer to a GeoPackage (layer ``units``).

    Parameters
    ----------
    gazetteer
        The units to write.
    path
        Target file; default ``settings.gazetteer_path``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path or settings.gazetteer_path)
    units = gazetteer.to_frame().reset_index()
    return write_geopackage(
        path,
        {"units": units},
        provenance={
            "sources": sorted(set(units["source"])),
            "vintages": sorted(set(units["vintage"]) - {""}),
        },
    )


def read_overrides(path: Path | str, *, coords: CoordSystem = "wgs84") -> Overrides:
    """
    Read a CSV of manual fixes: ``name``, ``lon``, ``lat``, optional ``code``.

    Rows whose ``lon`` and ``lat`` are both blank are a template not yet
    filled in (as written by :func:`fixes_template`): they are counted in
    ``pending`` and logged, never applied. Any other row without a usable
    point is an error naming the row.

    Parameters
    ----------
    path
        The CSV (UTF-8 or GBK).
    coords
        The coordinate system of its points (``wgs84``, ``gcj02``, ``bd09``).

    Returns
    -------
    Overrides
        (normalised name, unit-code prefix or ``""``) mapped to WGS-84
        points.
    """
    table = read_points(path, coords=coords)
    if "name" not in table.columns:
        msg = f"{path}: a fixes table needs a 'name' column; it has {list(table)}."
        raise ValidationError(msg)
    placed = has_location(table)
    raw = [c for c in table.columns if c.strip().lower() in LON_NAMES + LAT_NAMES]
    blank = table[raw].fillna("").astype(str).apply(lambda c: c.str.strip() == "")
    pending = ~placed & blank.all(axis=1)
    bad = table[~placed & ~pending]
    if len(bad):
        rows = [
            f"row {r} ({n}): {note}"
            for r, n, note in zip(
                bad["source_row"], bad["name"], bad["location_note"], strict=True
            )
        ]
        msg = f"{path}: fixes without a usable point: " + "; ".join(rows) + "."
        raise ValidationError(msg)
    codes = table["code"] if "code" in table.columns else pd.Series("", table.index)
    points: dict[tuple[str, str], tuple[float, float]] = {}
    for row in table[placed].itertuples():
        code = str(codes[row.Index]).strip()
        key = (normalise(row.name), unit_prefix(code) if code else "")
        xy = (row.geometry.x, row.geometry.y)
        if points.setdefault(key, xy) != xy:
            msg = (
                f"{path}: row {row.source_row} gives {row.name!r} a second, "
                "different point; keep one, or add a 'code' column to tell "
                "the units apart."
            )
            raise ValidationError(msg)
    if pending.any():
        logger.warning(
            "%s: %d rows have no lon/lat yet (template rows), not applied",
            path,
            int(pending.sum()),
        )
    return Overrides(points, source=Path(path).name, pending=int(pending.sum()))


def write_fixes(
    template: pd.DataFrame, path: Path, *, reading: Path | str | None = None
) -> bool:
    """
    Write a fixes template, unless `path` is the overrides file being read.

    A filled-in template passed back as overrides is never overwritten by the
    run that reads it.

    Parameters
    ----------
    template
        As from :func:`fixes_template`.
    path
        Where to write it (UTF-8 with BOM, so that Excel reads the Chinese).
    reading
        The overrides file this run read, if any.

    Returns
    -------
    bool
        Whether the template was written.
    """
    if reading is not None and Path(path).resolve() == Path(reading).resolve():
        return False
    write_csv(template, path)
    return True
