"""Writing tables people open in Excel and read as Markdown: text stays text.

A cell from someone else's spreadsheet that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is a formula to Excel and WPS when a CSV is
opened (OWASP, "CSV Injection"). Every CSV geoplan writes goes through
:func:`write_csv`, which prefixes such text cells with ``'`` (numbers, and text
that is a plain number such as ``-73.5``, stay as they are); every workbook
through :func:`write_xlsx`, which stores them as string cells, never formulas.
Markdown goes through :func:`markdown_cell`, which escapes HTML and table
syntax. geoplan's own readers drop the ``'`` again, so a table it wrote reads
back as it was. Every write is atomic (:mod:`geoplan.io._atomic`).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.io._atomic import atomic_path, atomic_write_text

#: What makes a spreadsheet treat a cell as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
#: Characters an XLSX (XML 1.0) cell cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def spreadsheet_text(value: str) -> str:
    """
    Return text a spreadsheet opens as text, never as a formula.

    Parameters
    ----------
    value
        A text cell.

    Returns
    -------
    str
        `value` with ``'`` in front when it starts like a formula and is not
        a plain number, or starts with ``'`` itself (so that
        :func:`plain_text` gives back exactly `value`).

    Examples
    --------
    >>> spreadsheet_text("=SUM(A1)"), spreadsheet_text("-73.5")
    ("'=SUM(A1)", '-73.5')
    """
    if value.startswith("'") or (
        value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value)
    ):
        return "'" + value  # a leading ' of its own is kept by doubling it
    return value


def plain_text(value: str) -> str:
    """
    Undo :func:`spreadsheet_text` for a cell read back.

    Parameters
    ----------
    value
        A text cell as read from a CSV.

    Returns
    -------
    str
        `value` without the ``'`` that :func:`spreadsheet_text` put in front.
    """
    if value.startswith("'") and value[1:].startswith((*FORMULA_START, "'")):
        return value[1:]
    return value


def _safe(series: pd.Series) -> pd.Series:
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return series
    return series.map(lambda v: spreadsheet_text(v) if isinstance(v, str) else v)


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """
    Return a frame whose text cells, column names and index are spreadsheet-safe.

    Parameters
    ----------
    frame
        Any table.

    Returns
    -------
    pandas.DataFrame
        A copy: text through :func:`spreadsheet_text`, numbers unchanged.
    """
    out = pd.DataFrame(frame).copy()
    for column in out.columns:
        out[column] = _safe(out[column])
    out.columns = [
        spreadsheet_text(c) if isinstance(c, str) else c for c in out.columns
    ]
    if out.index.dtype == object:
        out.index = pd.Index(_safe(out.index.to_series()), name=out.index.name)
    return out


def write_csv(
    frame: pd.DataFrame,
    path: Path | str,
    *,
    index: bool = False,
    encoding: str = "utf-8-sig",
) -> Path:
    """
    Write a table as CSV, atomically, with formula-like text made inert.

    Parameters
    ----------
    frame
        The table (a ``geometry`` column is left out).
    path
        The CSV file.
    index
        Whether to write the index as the first column.
    encoding
        Default UTF-8 with BOM, which Excel needs to read Chinese.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    data = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    buffer = io.StringIO()
    # CRLF ends a row, so a cell holding \r or \n is always quoted
    spreadsheet_frame(data).to_csv(buffer, index=index, lineterminator="\r\n")
    return atomic_write_text(path, buffer.getvalue(), encoding=encoding)


def _cell(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("\ufffd", value)
    return value


def write_xlsx(
    sheets: Mapping[str, pd.DataFrame],
    path: Path | str,
    *,
    title: str | None = None,
    widths: Mapping[str, tuple[float, ...]] | None = None,
) -> Path:
    """
    Write tables as an Excel workbook, atomically, text always as text.

    Parameters
    ----------
    sheets
        Sheet name -> table (a ``geometry`` column is left out).
    path
        The ``.xlsx`` file.
    title
        A bold line above the first sheet's table.
    widths
        Sheet name -> column widths.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for number, (name, frame) in enumerate(sheets.items()):
        sheet = workbook.create_sheet(sheet_name(name))
        data = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
        rows: list[list[object]] = []
        if title and number == 0:
            rows.append([title])
        header_row = len(rows) + 1
        rows.append([str(c) for c in data.columns])
        rows += [[_cell(v) for v in record] for record in data.itertuples(index=False)]
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                cell = sheet.cell(row=r, column=c, value=_cell(value))
                if isinstance(value, str):
                    cell.data_type = "s"  # a string cell, even for "=…"
        if title and number == 0:
            sheet["A1"].font = Font(bold=True, size=13)
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        for i, width in enumerate((widths or {}).get(name, ())):
            sheet.column_dimensions[_letter(i)].width = width
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    with atomic_path(path, suffix=".xlsx") as tmp:
        workbook.save(tmp)
    return Path(path)


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def sheet_name(name: str) -> str:
    """
    Return a valid Excel sheet name: at most 31 characters, no [ ] : * ? / or backslash.

    Parameters
    ----------
    name
        The wanted name.

    Returns
    -------
    str
        The name, forbidden characters replaced by ``_``.
    """
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", _ILLEGAL_XML.sub("", name)).strip("'")
    return (cleaned or "sheet")[:31]


def markdown_cell(value: object) -> str:
    """
    Return a value as Markdown table text: HTML escaped, pipes and breaks inert.

    Parameters
    ----------
    value
        Anything; None and NaN give an empty cell.

    Returns
    -------
    str
        Text that renders as written in a Markdown table cell.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = html.escape(str(value), quote=False)
    text = re.sub(r"([\\`*_\[\]|~])", r"\\\1", text)
    return re.sub(r"[\r\n]+", " ", text)
