"""Chengde, Xiamen (or any plan): indicators from a per-unit status table.

Where a plan gives only counts, a status table says how many facilities of
each category each unit has: CSV with ``unit_code``, ``category`` (id or
Chinese name) and ``count``. The units come from the gazetteer below the
plan's jurisdiction (counties by default).

Run: .venv/bin/python scripts/status_table_progress.py chengde STATUS.csv [county]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from geoplan.io.layers import read_text_table
from geoplan.places.gazetteer import Gazetteer, pad_code
from geoplan.planning import plans

plan = plans.load(sys.argv[1])
status = read_text_table(Path(sys.argv[2]))
unit_type = sys.argv[3] if len(sys.argv) > 3 else "county"
units = plans.units_from_gazetteer(
    Gazetteer.load(), plan.jurisdiction_code[:4], unit_type=unit_type
)
status["unit_code"] = [pad_code(c) for c in status["unit_code"]]
status["count"] = pd.to_numeric(status["count"], errors="coerce").fillna(0)
progress = plans.evaluate(plan, plans.Layers(units=units, facilities=status))
computed = progress[progress["current"].notna() & (progress["scope"] == "all")]
print(f"{plan.name_zh}: {len(units)} {unit_type} units")
for _, row in computed.iterrows():
    print(
        f"  {row['indicator']} {row['text_zh']}: {row['covered_units']} of "
        f"{row['denominator_units']} = {row['current']:g}% (target {row['target']}%, "
        f"{row['status']})"
    )
