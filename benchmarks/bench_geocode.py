"""Offline address matching: geoplan's shipped gazetteer against cpca.

Two workloads built from the national town table
(../shared/data/adcode/towns-national.csv, adcode by Vonng, CC BY 4.0):

- ``clean``: 100,000 addresses province + city + county + town + a site word;
- ``messy``: the same towns written with missing levels (county + town, city +
  town), with the placeholder 市辖区 kept, and 2,000 former county names since
  2016 (邢台县, 公主岭市 under 四平 …) with a site word.

Both tools parse the same text with nothing but what they ship. cpca resolves
province/city/county; geoplan down to town (and village). Truth is each 2016
town reconciled onto today's codes (geoplan.places.reconcile), so both are scored on
today's county, geoplan also on today's town. Times are the best of three runs
(each of geoplan's first runs on a new index); cpca runs in a Python of its own,
as its users run it (beside geoplan's index its collector would scan that too).
Cold start (import, gazetteer, index) and peak RSS are measured in fresh
processes.

Run: .venv/bin/python benchmarks/bench_geocode.py [N]
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import save

from geoplan.io import gazetteer_files
from geoplan.places import gazetteer, geocode, matcher
from geoplan.places.reconcile import reconcile

SHARED = Path(__file__).resolve().parents[2] / "shared"
TOWNS = SHARED / "data" / "adcode" / "towns-national.csv"
VIRTUAL = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
RUNS = 3
SITE_WORDS = ["移民安置点", "幸福小区一期", "敬老院", "社区服务站", "集中安置点二期"]

GEOPLAN_COLD = (
    "from geoplan.places.gazetteer import Gazetteer;"
    "from geoplan.places.matcher import Matcher;"
    "g = Gazetteer.builtin(); m = Matcher(g); m.match('商州区北宽坪镇')"
)
COLD = {
    "geoplan": GEOPLAN_COLD,
    # the built-in table is built, then cached, on a machine's first run
    "geoplan, first run (no cache)": GEOPLAN_COLD,
    "geoplan, the villages of every county indexed": (
        "from geoplan.places import _national;"
        "from geoplan.places.gazetteer import Gazetteer;"
        "from geoplan.places.matcher import Matcher;"
        "g = Gazetteer.builtin(); m = Matcher(g); u = g.units;"
        "[_national.village_forms(c[:6]) for c in u.index[u['level'] == 'county']];"
        "m.match('陕西省商洛市商州区北宽坪镇')"
    ),
    "cpca": "import cpca; cpca.transform(['陕西省商洛市商州区北宽坪镇'])",
}


def cold_start(code: str, cache: str | None = None) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of a fresh Python running `code`."""
    # VmHWM is this process's own peak: ru_maxrss would keep the forking
    # parent's (a benchmark holding 100k addresses) across exec
    probe = (
        "import time; t = time.perf_counter();"
        f"{code};"
        "s = time.perf_counter() - t;"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')];"
        "print(s, int(hwm[0].split()[1]) / 1024)"
    )
    env = {**os.environ, **({"GEOPLAN_CACHE": cache} if cache else {})}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split()
    return round(float(out[0]), 2), round(float(out[1]))


def peer_times(series: pd.Series) -> list[float]:
    """cpca's times on `series` in a Python of its own, as a user of cpca runs it."""
    probe = "\n".join(
        [
            "import pickle, sys, time, cpca",
            "texts = pickle.load(sys.stdin.buffer)",
            "times = []",
            f"for _ in range({RUNS}):",
            "    t = time.perf_counter(); cpca.transform(texts)",
            "    times.append(time.perf_counter() - t)",
            "print(*times)",
        ]
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        input=pickle.dumps(series.tolist()),
        capture_output=True,
        check=True,
    ).stdout.split()
    return [float(t) for t in out]


def workloads(n: int) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """Addresses and their true current codes, per workload."""
    raw = gazetteer_files._read_adcode_file(TOWNS)
    raw = raw[raw["level"].isin(gazetteer.LEVELS)].drop_duplicates("code")
    raw = raw.set_index("code")
    spine = gazetteer.Gazetteer.builtin().units
    counties = reconcile(spine, raw[raw["level"] == "county"])
    parents = {k: v for k, v in counties["code"].items() if v}
    towns = raw[(raw["level"] == "town") & (raw.index.str[6] != "4")]
    truth = reconcile(spine, towns, parents=parents)["code"]
    towns = towns[truth != ""]
    rng = np.random.default_rng(0)
    picked = towns.iloc[rng.integers(0, len(towns), n)]
    words = np.array(SITE_WORDS)[rng.integers(0, len(SITE_WORDS), n)]

    def part(value: str) -> str:
        return "" if value in VIRTUAL else value

    clean = [
        part(r.province) + part(r.city) + part(r.county) + r["name"] + w
        for (_, r), w in zip(picked.iterrows(), words, strict=True)
    ]
    forms = rng.integers(0, 3, n)
    messy = [
        (
            part(r.county) + r["name"] + w,
            part(r.city) + r["name"] + w,
            r.province + r.city + r.county + r["name"] + w,  # placeholders kept
        )[f]
        for (_, r), w, f in zip(picked.iterrows(), words, forms, strict=True)
    ]
    codes = truth.loc[picked.index].to_numpy()
    history = spine[spine["former_names"] != ""]
    renamed = [
        (spine.at[c[:2].ljust(12, "0"), "name"] + item.split("@")[0] + "敬老院", c)
        for c, names in history["former_names"].items()
        for item in names.split(";")
    ]
    renamed = [renamed[i] for i in rng.integers(0, len(renamed), 2000)]
    return (
        {
            "clean": pd.Series(clean),
            "messy": pd.Series(messy + [a for a, _ in renamed]),
        },
        {
            "clean": pd.Series(codes),
            "messy": pd.Series([*codes, *(c for _, c in renamed)]),
        },
    )


def main(n: int = 100_000) -> None:
    if not TOWNS.is_file():
        print(f"skipped: {TOWNS} not found")
        return
    import cpca  # a peer, only for this benchmark

    addresses, truth = workloads(n)
    record: dict[str, object] = {
        "workload": f"{n} addresses per set: clean (省市县镇+site) and messy "
        "(missing levels, placeholders, 2,000 former county names)",
    }
    for label, code in COLD.items():
        with tempfile.TemporaryDirectory() as empty:
            seconds, rss = cold_start(code, empty if "no cache" in label else None)
        record[f"cold_start_s, {label}"] = seconds
        record[f"peak_rss_mib, {label}"] = rss
    store = gazetteer.Gazetteer.builtin()
    first = addresses["clean"]
    start = time.perf_counter()  # villages' forms built as counties are reached
    geocode.geocode(first, gazetteer=store, matcher=matcher.Matcher(store))
    record["clean, first use: geoplan_addresses_per_s"] = round(
        len(first) / (time.perf_counter() - start)
    )
    for name, series in addresses.items():
        want = truth[name].to_numpy()
        times: dict[str, list[float]] = {"ours": [], "again": [], "cpca": []}
        for _ in range(RUNS):  # the best of each, as for every benchmark here
            index = matcher.Matcher(store)  # built, as cpca's is at import; no memo
            start = time.perf_counter()
            ours = geocode.geocode(series, gazetteer=store, matcher=index)
            times["ours"].append(time.perf_counter() - start)
            start = time.perf_counter()  # the same list again: every step known
            geocode.geocode(series, gazetteer=store, matcher=index)
            times["again"].append(time.perf_counter() - start)
            del index  # geoplan's index is not left for cpca's collector to scan
        times["cpca"] = peer_times(series)
        theirs = cpca.transform(series.tolist())  # for its answers, not timed
        t_ours, t_again, t_cpca = (min(times[k]) for k in ("ours", "again", "cpca"))
        our_code = ours["code"].fillna("").astype(str).to_numpy()
        cpca_county = theirs["adcode"].fillna("").astype(str).str[:6].to_numpy()
        record[name] = {
            "geoplan_addresses_per_s": round(len(series) / t_ours),
            "geoplan_addresses_per_s, steps known (a second run)": round(
                len(series) / t_again
            ),
            "cpca_addresses_per_s": round(len(series) / t_cpca),
            "runs_s": {k: [round(t, 3) for t in v] for k, v in times.items()},
            "county_correct_geoplan": _share(
                np.array([c[:6] for c in our_code]) == [w[:6] for w in want]
            ),
            "county_correct_cpca": _share(cpca_county == [w[:6] for w in want]),
            "town_correct_geoplan": _share(
                np.array([c[:9] for c in our_code]) == [w[:9] for w in want]
            ),
            "geoplan_ambiguous": int((ours["status"] == "ambiguous").sum()),
        }
    save("geocode", record)


def _share(hits: np.ndarray) -> float:
    return round(float(np.mean(hits)), 4)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
