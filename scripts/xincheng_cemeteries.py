"""Hohhot Xincheng: public cemeteries planned at 保合少镇 and 成吉思汗大街街道.

The plan (L542) supports two public cemeteries, in 保合少镇 and in
成吉思汗大街街道. This script places both names against the towns of 新城区 in
the gazetteer and prints the share of towns that would have one, listing any
name the gazetteer does not hold.

Run: .venv/bin/python scripts/xincheng_cemeteries.py
"""

from __future__ import annotations

import pandas as pd

from geoplan.access import coverage
from geoplan.places import geocode
from geoplan.places.gazetteer import Gazetteer
from geoplan.planning import plans

XINCHENG = "150102"
PLANNED = pd.Series(["保合少镇", "成吉思汗大街街道"])

gazetteer = Gazetteer.load()
towns = plans.units_from_gazetteer(gazetteer, XINCHENG, unit_type="township")
placed = geocode.geocode(PLANNED, gazetteer=gazetteer, context=XINCHENG)
sites = pd.DataFrame({"unit_code": placed["code"]})
status = coverage.admin_coverage(
    towns, sites, unit_code="code", facility_unit_code="unit_code"
)
share = status["covered"].mean()
print(
    f"新城区公益性公墓 / Xincheng public cemeteries: {int(status['covered'].sum())} of "
    f"{len(towns)} towns = {share:.1%} once both are built"
)
in_a_town = (placed["status"] == "matched") & (placed["code"].str[6:9] != "000")
for name, found, note in zip(PLANNED, in_a_town, placed["explanation"], strict=True):
    if not found:
        print(f"  {name}: not a town of 新城区 in the gazetteer ({note})")
