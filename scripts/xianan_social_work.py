"""Xian'an: social-work stations in its 13 towns (the plan's X02, 100% by 2024).

Takes a facility list (CSV with a ``name`` column naming each station and its
town, UTF-8 or GBK) or a per-town status table (CSV with ``town`` and
``count``), and prints the covered share of 咸安区's towns.

Run: .venv/bin/python scripts/xianan_social_work.py STATIONS.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from geoplan.io.layers import read_text_table
from geoplan.places import geocode
from geoplan.places.gazetteer import Gazetteer
from geoplan.planning import plans

XIANAN = "421202"

table = read_text_table(Path(sys.argv[1]))
gazetteer = Gazetteer.load()
units = plans.units_from_gazetteer(gazetteer, XIANAN, unit_type="township")
names = table["town"] if "town" in table else table["name"]
placed = geocode.geocode(names, gazetteer=gazetteer, context=XIANAN)
facilities = pd.DataFrame(
    {
        "category": "social_work_station",
        "unit_code": placed["code"].str[:9].str.ljust(12, "0"),
        "count": pd.to_numeric(table.get("count", 1), errors="coerce"),
    }
)
progress = plans.evaluate(
    plans.load("xianan"), plans.Layers(units=units, facilities=facilities)
)
x02 = progress[(progress["indicator"] == "X02") & (progress["scope"] == "all")].iloc[0]
print(
    f"咸安区社工站覆盖 / Xian'an social-work stations: {x02['covered_units']:g} of "
    f"{x02['denominator_units']:g} towns = {x02['current']:g}% (target 100%, "
    f"{x02['status']})"
)
in_a_town = (placed["status"] == "matched") & (placed["code"].str[6:9] != "000")
for label, row in placed[~in_a_town].iterrows():
    print(f"  not matched to a town: {names[label]} ({row['explanation']})")
