"""Offline address-matching throughput: geoplan's matcher against cpca.

100,000 synthetic addresses are built from the national town table
(../shared/data/adcode/towns-national.csv, CC BY 4.0): province + city + county
+ town + a site word, for towns drawn at random. Both tools parse the same
text; cpca resolves province/city/county, geoplan down to the town. Both are
scored on the level they share (the county code), then on the town for geoplan.

Run: .venv/bin/python benchmarks/bench_geocode.py [N]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import save

from geoplan import gazetteer, geocode, matcher

SHARED = Path(__file__).resolve().parents[2] / "shared"
TOWNS = SHARED / "data" / "adcode" / "towns-national.csv"
VIRTUAL = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
SITE_WORDS = ["移民安置点", "幸福小区一期", "敬老院", "社区服务站", "集中安置点二期"]


def main(n: int = 100_000) -> None:
    if not TOWNS.is_file():
        print(f"skipped: {TOWNS} not found")
        return
    units = gazetteer.read_adcode([TOWNS])
    store = gazetteer.Gazetteer.builtin().extend(units)
    towns = units[(units["level"] == "town") & ~units["pseudo"]]
    names = store.units["name"]
    rng = np.random.default_rng(0)
    picked = towns.index[rng.integers(0, len(towns), n)]
    words = np.array(SITE_WORDS)[rng.integers(0, len(SITE_WORDS), n)]

    def full(code: str) -> str:
        parts = [code[:digits].ljust(12, "0") for digits in (2, 4, 6)]
        return "".join(names.get(p, "") for p in parts if names.get(p) not in VIRTUAL)

    addresses = pd.Series(
        [full(c) + units.loc[c, "name"] + w for c, w in zip(picked, words, strict=True)]
    )
    truth_county = np.array([c[:6] for c in picked])

    start = time.perf_counter()
    index = matcher.Matcher(store)
    t_index = time.perf_counter() - start
    start = time.perf_counter()
    ours = geocode.geocode(addresses, gazetteer=store, matcher=index)
    t_ours = time.perf_counter() - start

    import cpca  # a peer, only for this benchmark

    start = time.perf_counter()
    theirs = cpca.transform(addresses.tolist())
    t_cpca = time.perf_counter() - start

    our_code = ours["matched_code"].fillna("").astype(str)
    our_county = our_code.str[:6].to_numpy()
    cpca_county = theirs["adcode"].fillna("").astype(str).str[:6].to_numpy()
    # a town code can change between the 2016 table and the 2025 list: score the
    # town by its short name
    short = store.units["short_name"]
    level = store.units["level"]
    our_town = [
        next((short[u] for u in store.path(c) if level[u] == "town"), "") if c else ""
        for c in our_code
    ]
    truth_town = towns.loc[picked, "short_name"].to_numpy()
    save(
        "geocode",
        {
            "workload": f"{n} synthetic addresses: province+city+county+town+site",
            "geoplan_index_build_s": round(t_index, 2),
            "geoplan_s": round(t_ours, 2),
            "cpca_s": round(t_cpca, 2),
            "geoplan_addresses_per_s": round(n / t_ours),
            "cpca_addresses_per_s": round(n / t_cpca),
            "county_correct_geoplan": round(
                float(np.mean(our_county == truth_county)), 4
            ),
            "county_correct_cpca": round(
                float(np.mean(cpca_county == truth_county)), 4
            ),
            "town_correct_geoplan": round(
                float(np.mean(np.array(our_town) == truth_town)), 4
            ),
            "geoplan_ambiguous": int((ours["status"] == "ambiguous").sum()),
            "note": "cpca resolves to county level only; towns scored for geoplan",
        },
    )


def _share(hits: np.ndarray) -> float:
    return round(float(np.mean(hits)), 4)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
