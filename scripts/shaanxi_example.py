"""Write examples/shaanxi-facilities.csv: a synthetic facility per Shaanxi county.

The regional example (examples/shaanxi.toml) needs a facility list over all of
Shaanxi. No seed lists one, so this list is **synthetic and says so**: one
county-level eldercare service centre (县级区域性养老服务中心) per county, placed at
the county's point in geoplan's built-in gazetteer (adcode by Vonng, CC BY 4.0,
2016, converted to WGS-84; the seat of the county government). The demand is the
gazetteer's towns; the 20 km reach in the example is illustrative, not a plan's.

Run: .venv/bin/python scripts/shaanxi_example.py (rewrites the file from the
built-in gazetteer; the result is the same on every run).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geoplan.io._tables import write_csv
from geoplan.places.gazetteer import Gazetteer

OUT = Path(__file__).resolve().parents[1] / "examples" / "shaanxi-facilities.csv"
BASIS = "synthetic: one per county, at the county's point (built-in gazetteer)"


def facilities() -> pd.DataFrame:
    """One row per Shaanxi county that has a point, in code order."""
    units = Gazetteer.builtin().units
    counties = units[
        (units["level"] == "county")
        & units.index.str.startswith("61")
        & units["lon"].notna()
    ].sort_index()
    return pd.DataFrame(
        {
            "id": [f"SX{c[:6]}" for c in counties.index],
            "name": counties["name"] + "区域性养老服务中心（示例）",
            "county_code": counties.index.str[:6],
            "lon": counties["lon"].round(6),
            "lat": counties["lat"].round(6),
            "basis": BASIS,
        }
    )


if __name__ == "__main__":
    table = facilities()
    write_csv(table, OUT, index=False)
    print(f"wrote {len(table)} facilities to {OUT}")
