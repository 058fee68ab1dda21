"""Shangluo: the fewest extra village cemeteries that put every located site in reach.

The plan names a cemetery arrangement for 124 relocation-site entries. This
script places the sites (by their own names) and the planned cemeteries with
the gazetteer, counts a site as served when a planned cemetery located at town
or village precision lies within the radius, and then asks for the fewest
additional cemeteries, each in a village (or the seat) of the same town as the
sites it serves, that serve every remaining site (set covering, HiGHS).

Sites placed no finer than a county, or only by their cemetery's village, are
left out and counted: distances from them mean nothing. The answer holds at the
precision reached: a site placed at its town's point stands for the town.

Run: .venv/bin/python scripts/shangluo_extra_cemeteries.py [GAZETTEER.gpkg]
     [--radius-m 5000] [--out layers/shangluo-extra-cemeteries.gpkg]
Build the gazetteer first, e.g. `make demo` or
`geoplan gazetteer import --format adcode ../shared/data/adcode/counties/611*.csv`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geoplan import candidates, costs, demo, relocation, siting
from geoplan.export import write_geopackage
from geoplan.gazetteer import Gazetteer

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("gazetteer", nargs="?", type=Path)
parser.add_argument("--radius-m", type=float, default=5000.0)
parser.add_argument("--out", type=Path)
args = parser.parse_args()

gz = Gazetteer.load(args.gazetteer)
towns = gz.children("611000", level="town")
if towns["lon"].notna().sum() == 0:
    sys.exit(
        "The gazetteer has no town points for 商洛市; import them first "
        "(geoplan gazetteer import --format adcode …/611*.csv)."
    )

sites, targets = demo.locate_sites(relocation.load_sites(), gz, radius_m=args.radius_m)
fine = sites["precision"].isin(["village", "town", "manual"])
own = sites["status"] != "matched_fallback"
demand = sites[fine & own].copy()
print(
    f"{len(sites)} named site entries: {len(demand)} placed by their own name at "
    f"town or village precision; {(~fine).sum()} no finer than a county and "
    f"{(fine & ~own).sum()} only by their cemetery's village are left out"
)

planned = targets[targets["precision"].isin(["village", "town", "manual"])]
served = costs.euclidean_costs(demand, planned, cutoff_m=args.radius_m)
# the town of the unit whose point placed the site (an older list's town where
# the point came from one), else of the unit its name matched
placed_by = demand["point_code"].where(
    demand["point_code"] != "", demand["matched_code"]
)
demand["town_code"] = gz.town_of(placed_by)
sites_to_serve = demand[served.within_count == 0]
print(
    f"{(served.within_count > 0).sum()} of {len(demand)} are within "
    f"{args.radius_m:g} m of one of the {len(planned)} (of {len(targets)}) planned "
    f"cemeteries located at town or village precision; {len(sites_to_serve)} are not"
)

options = candidates.from_gazetteer(gz, within="611000")
table = costs.euclidean_costs(demand, options, cutoff_m=args.radius_m, with_pairs=True)
cover = siting.restrict(
    siting.coverage_from_costs(table, existing=served),
    demand["town_code"],
    options["town_code"],
)
reach = cover.covered_now | (cover.matrix.sum(axis=1) > 0)
for label in demand.index[~reach]:
    print(f"  no candidate in its town within reach: {demand.loc[label, 'site_name']}")
exact = siting.lscp(cover, target_share=float(reach.mean()))
greedy = siting.greedy(cover, target_share=float(reach.mean()))
print(
    f"Fewest extra village cemeteries: {len(exact.selected)} ({exact.status}, "
    f"gap {exact.mip_gap:.1%}); greedy: {len(greedy.selected)}"
)
matrix = cover.matrix.tocsc()
for code in exact.selected:
    column = options.index.get_loc(code)
    rows = matrix[:, [column]].nonzero()[0]
    newly = [demand["site_name"].iloc[r] for r in rows if not cover.covered_now[r]]
    path = "/".join(gz.units.loc[c, "name"] for c in gz.path(code)[2:])
    print(f"  {path} ({code}): {len(newly)} sites: {'、'.join(newly)}")

if args.out:
    chosen = options.loc[exact.selected].reset_index()
    write_geopackage(
        args.out,
        {"extra_cemeteries": chosen, "sites_to_serve": sites_to_serve},
        provenance={"radius_m": args.radius_m, "model": "lscp", "status": exact.status},
    )
    print(f"Written: {args.out}")
