"""Private readers and writers shared by the public modules."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from geoplan.errors import DataSourceError, ValidationError


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
    from geoplan.io.layers import (
        read_text_table,  # deferred: layers imports more of geoplan
    )

    frame = read_text_table(path)  # UTF-8 (with or without BOM), GBK or GB18030
    missing = [c for c in (*text, *integers) if c not in frame.columns]
    if missing:
        msg = f"{path}: missing columns {missing}; add them to the header row."
        raise ValidationError(msg)
    problems = []
    for column in integers:
        bad = ~frame[column].str.fullmatch(r"\d+")
        problems += [
            f"row {i}, column {column!r}: {v!r} is not a whole number"
            for i, v in frame.loc[bad, column].items()
        ]
    if key is not None:
        repeated = frame[key].duplicated(keep=False)
        problems += [
            f"row {i}, column {key!r}: {v!r} is repeated"
            for i, v in frame.loc[repeated, key].items()
        ]
    if problems:
        msg = f"{path}: " + "; ".join(problems) + ". Fix these cells."
        raise ValidationError(msg)
    frame = frame.astype(dict.fromkeys(integers, "int64"))
    return frame.set_index(key) if key is not None else frame


def read_toml(path: Path, *, what: str = "TOML file") -> dict[str, Any]:
    """
    Read a TOML file, every way it can fail turned into one clear message.

    Parameters
    ----------
    path
        The file.
    what
        What the file is (``"analysis file"``, ``"plan file"``), for messages.

    Returns
    -------
    dict
        The parsed document.
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        msg = f"{path}: file not found."
        raise DataSourceError(msg) from None
    except IsADirectoryError:
        msg = f"{path}: is a folder; give the {what} itself."
        raise ValidationError(msg) from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        msg = (
            f"{path}: not UTF-8 text (byte {error.start}); a {what} is a UTF-8 "
            "TOML text file: save it as UTF-8."
        )
        raise ValidationError(msg) from None
    except tomllib.TOMLDecodeError as error:
        msg = f"{path}: not valid TOML ({error}); fix the {what} there."
        raise ValidationError(msg) from None
