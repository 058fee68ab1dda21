"""Shangluo: relocation-site cemetery provision per county, from the plan's table.

Prints, per county and for the city, the share of the 247 relocation sites the
plan provides a cemetery for (a named new or attached arrangement).

Run: .venv/bin/python scripts/shangluo_relocation.py
"""

from __future__ import annotations

from geoplan import relocation

table = relocation.coverage_by_county(
    relocation.load_sites(), relocation.load_county_totals()
)
for _, row in table.iterrows():
    print(
        f"{row['county']}: {row['sites_named']}/{row['sites']} sites provided for "
        f"= {row['provided_share']:.1%} (target 100%, gap {row['gap_sites']})"
    )
