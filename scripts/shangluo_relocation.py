"""Shangluo: relocation-site cemeteries per county; one county, one home, one cemetery.

Prints, per county and for the city, the share of the 247 relocation sites the
plan provides a cemetery for (a named new or attached arrangement). With a
per-county status table (CSV: ``unit_code``, ``category`` = 殡仪馆 or
城市公益性公墓, ``count``) it also prints the share of the seven counties with a
funeral home (S43) and an urban public cemetery (T21).

Run: .venv/bin/python scripts/shangluo_relocation.py [STATUS.csv]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from geoplan.cases.shangluo import relocation
from geoplan.io.layers import read_text_table
from geoplan.places.gazetteer import Gazetteer, pad_code
from geoplan.planning import plans

table = relocation.coverage_by_county(
    relocation.load("sites"), relocation.load("county_totals")
)
for _, row in table.iterrows():
    print(
        f"{row['county']}: {row['sites_named']}/{row['sites']} sites provided for "
        f"= {row['provided_share']:.1%} (target 100%, gap {row['gap_sites']})"
    )

if len(sys.argv) > 1:
    status = read_text_table(Path(sys.argv[1]))
    status["unit_code"] = [pad_code(c) for c in status["unit_code"]]
    status["count"] = pd.to_numeric(status["count"], errors="coerce").fillna(0)
    counties = plans.units_from_gazetteer(Gazetteer.load(), "6110", unit_type="county")
    progress = plans.evaluate(
        plans.load("shangluo"), plans.Layers(units=counties, facilities=status)
    )
    for indicator in ("S43", "T21"):
        row = progress[
            (progress["indicator"] == indicator) & (progress["scope"] == "all")
        ]
        row = row.iloc[0]
        print(
            f"{indicator} {row['text_zh']}: {row['covered_units']} of "
            f"{row['denominator_units']} counties = {row['current']:g}% "
            f"(target {row['target']}%, {row['status']})"
        )
