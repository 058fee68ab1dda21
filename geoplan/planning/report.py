"""Progress reports: CSV, Excel like a government indicator table, Markdown, charts.

The Excel workbook has the Chinese headers of an indicator table (指标, 单位,
基期值, 目标值, 现状值, 差距, 属性); the charts show current against target per
county for each indicator evaluated.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from geoplan.io._atomic import atomic_write_text
from geoplan.io._tables import markdown_cell, write_xlsx
from geoplan.io._tables import write_csv as write_csv_table
from geoplan.planning import plans

logger = logging.getLogger(__name__)

#: Column -> Chinese header, in the order of a government indicator table.
HEADERS_ZH = {
    "indicator": "编号",
    "text_zh": "指标",
    "unit": "单位",
    "baseline": "基期值",
    "target": "目标值",
    "current": "现状值",
    "gap": "差距",
    "attribute": "属性",
    "scope": "范围",
    "status": "状态",
    "reason": "说明",
    "source_lines": "原文行号",
}


#: Unit-status column -> Chinese header (the gap list behind each share).
UNIT_HEADERS_ZH = {
    "indicator": "编号",
    "unit_code": "单元代码",
    "unit_name": "单元名称",
    "county_code": "县区代码",
    "facilities": "设施数",
    "has_one": "已有",
}


def write_csv(progress: pd.DataFrame, path: Path) -> Path:
    """
    Write the progress table as UTF-8 CSV (with BOM, so Excel reads Chinese).

    Text cells that start like a formula are made inert
    (:func:`geoplan.io._tables.write_csv`); the write is atomic.

    Parameters
    ----------
    progress
        As from :func:`geoplan.planning.plans.evaluate`.
    path
        Target file.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    return write_csv_table(progress, path)


def write_excel(
    progress: pd.DataFrame,
    path: Path,
    *,
    title: str,
    units: pd.DataFrame | None = None,
) -> Path:
    """
    Write the progress table as an Excel workbook with Chinese headers.

    Every text cell (a plan's title, indicator ids and texts, unit names) is a
    string cell, never a formula.

    Parameters
    ----------
    progress
        As from :func:`geoplan.planning.plans.evaluate`.
    path
        Target ``.xlsx`` file.
    title
        The plan's name, written above the table.
    units
        As from :func:`geoplan.planning.plans.unit_status`: a second sheet, 逐单元,
        lists every unit with its facilities, those without one first.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    sheets = {
        "指标进展": progress[list(HEADERS_ZH)].rename(columns=HEADERS_ZH),
    }
    widths = {
        "指标进展": (9, 40, 8, 12, 14, 10, 8, 8, 9, 18, 60, 10),
        "逐单元": (9, 16, 24, 12, 8, 6),
    }
    if units is not None and len(units):
        ordered = units.sort_values(["indicator", "has_one", "unit_code"])
        per_unit = ordered[list(UNIT_HEADERS_ZH)].rename(columns=UNIT_HEADERS_ZH)
        per_unit["已有"] = (
            ordered["has_one"]
            .map({True: "是", False: "否"}, na_action="ignore")
            .fillna("待定")
        )
        sheets["逐单元"] = per_unit
    return write_xlsx(sheets, path, title=f"{title} 主要指标进展", widths=widths)


def write_markdown(
    progress: pd.DataFrame,
    path: Path,
    *,
    title: str,
    units: pd.DataFrame | None = None,
) -> Path:
    """
    Write the progress table as Markdown, every cell escaped.

    Parameters
    ----------
    progress
        As from :func:`geoplan.planning.plans.evaluate`.
    path
        The Markdown file to write.
    title
        The plan's name.
    units
        As from :func:`geoplan.planning.plans.unit_status`: the units still without
        the facility are listed per indicator.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    columns = list(HEADERS_ZH)
    lines = [
        f"# {markdown_cell(title)} 主要指标进展",
        "",
        "| " + " | ".join(HEADERS_ZH[c] for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for record in progress[columns].itertuples(index=False):
        lines.append("| " + " | ".join(markdown_cell(v) for v in record) + " |")
    if units is not None and len(units):
        lines += ["", "## 尚无设施的单元 / Units without one", ""]
        for indicator, group in units.groupby("indicator", sort=False):
            missing = group[plans.without_one(group)]
            names = "、".join(map(markdown_cell, missing["unit_name"])) or "无 none"
            lines.append(
                f"- **{markdown_cell(indicator)}** ({len(missing)} of {len(group)}): "
                f"{names}"
            )
    return atomic_write_text(path, "\n".join(lines) + "\n")
