"""What any pure-Python geocoder of geoplan's kind costs, against cpca's whole run.

`bench_geocode.py` measures geoplan; this script measures two floors on the same
addresses, to tell which designs could reach cpca's addresses/s at all:

- ``row loop``: the least a per-text Python loop of the matcher's shape does —
  NFKC, then per step one ``longest_prefix`` of the name trie and one dict
  look-up of (state, name), every step learnt beforehand: no villages, no
  ambiguity, no placing, no explanation.
- ``columnar front end``: NFKC (Arrow), distinct texts and the longest name at
  each step found for all texts at once (numpy prefix hashes, pandas hash
  look-ups), leaving the distinct admin prefixes (what precedes the site word)
  for a resolver; then geoplan's own resolver (`Matcher.match_many`, collector
  paused) on those prefixes alone: the Python a columnar front end still leaves.

geoplan's whole `geocode` (new index, then the same list again) is timed in the
same run, for the ratios.

cpca runs in a Python of its own (`bench_geocode.peer_times`); every time is
the best of three.

Run: .venv/bin/python benchmarks/geocode_floors.py [N]
"""

from __future__ import annotations

import functools
import gc
import sys
import time
import unicodedata
from collections.abc import Callable

import ahocorasick
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from _common import save
from bench_geocode import RUNS, TOWNS, peer_times, workloads

from geoplan.places import gazetteer, matcher
from geoplan.places._columnar import POWERS, WIDTH, _code_points, _prefix_hashes
from geoplan.places.geocode import geocode


def row_loop(texts: list[str], trie: ahocorasick.Automaton, max_key: int) -> float:
    """Seconds of the least per-text loop, its steps learnt by a first pass."""
    steps: dict[tuple[int, str], int] = {}
    longest_prefix = trie.longest_prefix

    def walk(learn: bool) -> list[int]:
        out = []
        for text in sorted(
            {"".join(unicodedata.normalize("NFKC", t).split()) for t in texts}
        ):
            pos, state, size = 0, 0, len(text)
            while pos < size:
                window = text[pos : pos + max_key]
                head = window[: longest_prefix(window)]
                following = steps.get((state, head))
                if following is None:
                    if not learn or len(head) < matcher.MIN_KEY:
                        break
                    following = steps[state, head] = len(steps) + 1
                state = following
                pos += len(head)
            out.append(state)
        return out

    walk(learn=True)
    return _best(lambda: walk(learn=False))


def columnar_front_end(texts: list[str], keys: list[str]) -> tuple[float, list[str]]:
    """Seconds of the columnar front end, and the distinct admin prefixes it leaves."""
    longest = max(map(len, keys))
    key_hashes = _prefix_hashes(_code_points(np.array(keys), longest))
    lengths = np.array([len(k) for k in keys])
    of_key = key_hashes[np.arange(len(keys)), lengths]
    by_length = {
        n: pd.Index(np.unique(of_key[lengths == n]))
        for n in range(longest, matcher.MIN_KEY - 1, -1)
        if (lengths == n).any()
    }

    def front() -> list[str]:
        folded = pc.utf8_normalize(pa.array(texts), form="NFKC")
        folded = pc.replace_substring_regex(folded, r"\s+", "")
        distinct = pd.unique(folded.to_numpy(zero_copy_only=False))
        codes = _code_points(distinct, WIDTH)
        size = (codes != 0).sum(axis=1)
        hashes = _prefix_hashes(codes)
        pos = np.zeros(len(distinct), dtype=np.int64)
        active = np.arange(len(distinct))
        while len(active):
            head = np.zeros(len(active), dtype=np.int64)
            at = pos[active]
            for n, index in by_length.items():  # longest first
                open_ = np.flatnonzero((head == 0) & (at + n <= size[active]))
                rows = active[open_]
                named = (
                    hashes[rows, at[open_] + n] - hashes[rows, at[open_]] * POWERS[n]
                )
                head[open_[index.get_indexer(named) >= 0]] = n
            pos[active] += head
            active = active[head > 0]
        return list(
            dict.fromkeys(
                t[:p] for t, p in zip(distinct.tolist(), pos.tolist(), strict=True)
            )
        )

    with np.errstate(over="ignore"):  # hashes wrap around 2**64 by design
        seconds = _best(front)
        return seconds, front()


def resolver(store: gazetteer.Gazetteer, prefixes: list[str]) -> float:
    """Seconds of geoplan's resolver on `prefixes`, each run on a new index."""
    times = []
    for _ in range(RUNS):
        index = matcher.Matcher(store)  # built before timing, as cpca's at import
        times.append(_best(functools.partial(index.match_many, prefixes), runs=1))
    return min(times)


def geocoded(store: gazetteer.Gazetteer, series: pd.Series) -> tuple[float, float]:
    """Seconds of geoplan's geocode on a new index, then on the same list again."""
    fresh, again = [], []
    for _ in range(RUNS):
        run = functools.partial(
            geocode, series, gazetteer=store, matcher=matcher.Matcher(store)
        )
        fresh.append(_best(run, runs=1))
        again.append(_best(run, runs=1))  # the same index: every step known
    return min(fresh), min(again)


def _best(fn: Callable[[], object], runs: int = RUNS) -> float:
    """The best of `runs` wall times of `fn`, with the cycle collector paused."""
    times = []
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return min(times)


def main(n: int = 100_000) -> None:
    if not TOWNS.is_file():
        print(f"skipped: {TOWNS} not found")
        return
    addresses, _ = workloads(n)
    store = gazetteer.Gazetteer.builtin()
    index = matcher.Matcher(store)
    trie = index._build_trie()
    keys = [k for k in {*index._full, *index._short} if len(k) >= matcher.MIN_KEY]
    index.match_many(addresses["clean"].tolist())  # every county's village forms built
    record: dict[str, object] = {"workload": f"{n} addresses per set, as bench_geocode"}
    for name, series in addresses.items():
        texts = series.tolist()
        cpca_s = min(peer_times(series))
        loop_s = row_loop(texts, trie, index._max_key)
        front_s, prefixes = columnar_front_end(texts, keys)
        resolve_s = resolver(store, prefixes)
        fresh_s, again_s = geocoded(store, series)
        record[name] = {
            "cpca_s": round(cpca_s, 3),
            "row_loop_s": round(loop_s, 3),
            "columnar_front_end_s": round(front_s, 3),
            "distinct_texts": len(set(texts)),
            "distinct_admin_prefixes": len(prefixes),
            "geoplan_resolver_on_prefixes_s": round(resolve_s, 3),
            "geoplan_geocode_s": round(fresh_s, 3),
            "geoplan_geocode_s, steps known (a second run)": round(again_s, 3),
        }
        print(name, record[name])
    save("geocode_floors", record)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
