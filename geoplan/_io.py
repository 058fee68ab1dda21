"""Private readers and writers shared by the public modules."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .errors import DataSourceError, ValidationError


def read_csv_table(
    path: Path,
    *,
    text: Sequence[str],
    integers: Sequence[str] = (),
    key: str | None = None,
) -> pd.DataFrame:
    """Read a UTF-8 CSV, keeping codes as text; check columns, numbers and key."""
    if not path.is_file():
        msg = f"{path}: file not found."
        raise DataSourceError(msg)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in (*text, *integers) if c not in frame.columns]
    if missing:
        msg = f"{path}: missing columns {missing}; add them to the header row."
        raise ValidationError(msg)
    problems = []
    for column in integers:
        bad = ~frame[column].str.fullmatch(r"\d+")
        problems += [
            f"row {i + 2}, column {column!r}: {v!r} is not a whole number"
            for i, v in frame.loc[bad, column].items()
        ]
    if key is not None:
        repeated = frame[key].duplicated(keep=False)
        problems += [
            f"row {i + 2}, column {key!r}: {v!r} is repeated"
            for i, v in frame.loc[repeated, key].items()
        ]
    if problems:
        msg = f"{path}: " + "; ".join(problems) + ". Fix these cells."
        raise ValidationError(msg)
    frame = frame.astype(dict.fromkeys(integers, "int64"))
    return frame.set_index(key) if key is not None else frame


def write_gpkg(path: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write `layers` into a new GeoPackage at `path`, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name, frame in layers.items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=False)
        tmp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path
