"""Shangluo: the fewest extra village cemeteries that put every located site in reach.

The plan names a cemetery arrangement for 124 relocation-site entries. This
script places the sites (by their own names) and the planned cemeteries with
the gazetteer and decides, for each site, whether a planned cemetery lies
within the radius: for certain, beyond it for certain, or undetermined where
the points' precision (a town point may be 5 km from the site it stands for)
leaves it open. It then asks for the fewest additional cemeteries, each at a
village (or the seat) of the same town as the sites it serves, that certainly
serve every site certainly beyond reach (set covering, HiGHS). Undetermined
sites are listed, never sited for: better points decide them (an overrides
file with the plan office's coordinates, `--overrides`).

`--treat-points-as-exact` answers a different, stated question: what if every
site lay exactly at the point it was placed at (a site at its town's point
standing for the town). The output and the GeoPackage say so.

Run: .venv/bin/python scripts/shangluo_extra_cemeteries.py [GAZETTEER.gpkg]
     [--radius-m 5000] [--overrides FIXES.csv] [--treat-points-as-exact]
     [--out layers/shangluo-extra-cemeteries.gpkg]
Build the gazetteer first, e.g. `make demo` or
`geoplan gazetteer import --format adcode ../shared/data/adcode/counties/611*.csv`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geoplan.access import costs, coverage
from geoplan.cases.shangluo import demo, relocation
from geoplan.io import gazetteer_files
from geoplan.io.export import write_geopackage
from geoplan.places.gazetteer import Gazetteer
from geoplan.planning import candidates, siting

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("gazetteer", nargs="?", type=Path)
parser.add_argument("--radius-m", type=float, default=5000.0)
parser.add_argument("--overrides", type=Path)
parser.add_argument("--treat-points-as-exact", action="store_true")
parser.add_argument("--out", type=Path)
args = parser.parse_args()
exact_points = args.treat_points_as_exact

gz = Gazetteer.load(args.gazetteer)
towns = gz.children("611000", level="town")
if towns["lon"].notna().sum() == 0:
    sys.exit(
        "The gazetteer has no town points for 商洛市; import them first "
        "(geoplan gazetteer import --format adcode …/611*.csv)."
    )

fixes = gazetteer_files.read_overrides(args.overrides) if args.overrides else None
sites, targets = demo.locate_sites(
    relocation.load("sites"), gz, radius_m=args.radius_m, overrides=fixes
)
if exact_points:
    print(
        "ASSUMPTION: every site and cemetery lies exactly at its point (a site at "
        "its town's point stands for the town); the answer is a what-if, not a "
        "finding."
    )
fine = sites["precision"].isin(["village", "town", "manual"])
own = sites["status"] != "matched_fallback"
demand = sites[fine & own].copy()
print(
    f"{len(sites)} named site entries: {len(demand)} placed by their own name at "
    f"town or village precision; {(~fine).sum()} no finer than a county and "
    f"{(fine & ~own).sum()} only by their cemetery's village are left out"
)

planned = targets[targets["precision"].isin(["village", "town", "manual"])]
served = coverage.distance_coverage(
    demand, planned, radius_m=args.radius_m, use_precision=not exact_points
)
state = served["coverage_status"]
# the town of the unit whose point placed the site (an older list's town where
# the point came from one), else of the unit its name matched
placed_by = demand["point_code"].where(demand["point_code"] != "", demand["code"])
demand["town_code"] = gz.town_of(placed_by)
sites_to_serve = demand[state == "not_covered"]
undetermined = demand[state == "undetermined"]
print(
    f"{(state == 'covered').sum()} of {len(demand)} are within {args.radius_m:g} m "
    f"of one of the {len(planned)} (of {len(targets)}) planned cemeteries located "
    f"at town or village precision; {len(sites_to_serve)} are not; "
    f"{len(undetermined)} undetermined (points too coarse to tell)"
)

options = candidates.from_gazetteer(gz, within="611000")
u_sites = served["uncertainty_m"].to_numpy()
widest = float(u_sites.max(initial=0))
table = costs.euclidean_costs(
    sites_to_serve, options, cutoff_m=args.radius_m + widest, with_pairs=True
)
cover = siting.restrict(
    siting.coverage_from_costs(
        table,
        radius_m=args.radius_m,
        demand_uncertainty_m=served.loc[sites_to_serve.index, "uncertainty_m"],
    ),
    sites_to_serve["town_code"],
    options["town_code"],
)
reach = cover.matrix.sum(axis=1) > 0
for label in sites_to_serve.index[~reach]:
    name = sites_to_serve.loc[label, "site_name"]
    print(f"  no candidate in its town certainly within reach: {name}")
share = float(reach.mean()) if len(reach) else 1.0
exact = siting.lscp(cover, target_share=share) if share > 0 else None
greedy = siting.greedy(cover, target_share=share)
chosen_codes = exact.selected if exact is not None else []
print(
    f"Fewest extra village cemeteries: {len(chosen_codes)} "
    f"({exact.status if exact else 'Optimal'}, gap "
    f"{exact.mip_gap if exact else 0:.1%}); greedy: {len(greedy.selected)}"
)
matrix = cover.matrix.tocsc()
for code in chosen_codes:
    column = options.index.get_loc(code)
    rows = matrix[:, [column]].nonzero()[0]
    newly = [sites_to_serve["site_name"].iloc[r] for r in rows]
    path = "/".join(gz.units.loc[c, "name"] for c in gz.path(code)[2:])
    print(f"  {path} ({code}): {len(newly)} sites: {'、'.join(newly)}")
if len(undetermined):
    print(
        f"{len(undetermined)} sites are undetermined and not sited for; their "
        "points (or their cemeteries') are too coarse. The plan office's "
        "coordinates (--overrides) decide them."
    )

if args.out:
    chosen = options.loc[chosen_codes].reset_index()
    write_geopackage(
        args.out,
        {
            "extra_cemeteries": chosen,
            "sites_to_serve": sites_to_serve,
            "sites_undetermined": undetermined,
        },
        provenance={
            "radius_m": args.radius_m,
            "model": "lscp",
            "status": exact.status if exact else "Optimal",
            "assumption": "points taken as exact (what-if)"
            if exact_points
            else "none: each point's precision counted",
        },
    )
    print(f"Written: {args.out}")
