"""Analyses over many counties: one task per county, serial or on real Dask processes.

Two worlds. Shaanxi (107 counties): the bundled example, the gazetteer's towns
against one synthetic facility per county, in straight lines. Shangluo (7
counties): each county's own street network, written here as an OSM file (a
grid over the county's towns), reach 20 km along the roads — slow enough (about a
second a county) to kill a worker or the client while counties run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan._geometry import lonlat_points
from geoplan.access import coverage
from geoplan.cli import main
from geoplan.errors import ValidationError
from geoplan.places.gazetteer import Gazetteer
from geoplan.workflows import analysis
from geoplan.workflows.regional import RegionalJob, run_regional

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shaanxi.toml"
COMPARED = ("demand", "counties", "totals")
SHANGLUO = [
    "611002",
    "611021",
    "611022",
    "611023",
    "611024",
    "611025",
    "611026",
]


def _tables(folder: Path, stem: str) -> dict[str, pd.DataFrame]:
    """The result tables as written (text, so that equal means cell by cell)."""
    return {
        name: pd.read_csv(
            folder / f"{stem}-{name}.csv", dtype=str, keep_default_na=False
        )
        for name in (*COMPARED, "failures", "timings")
    }


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in COMPARED:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def _example(folder: Path) -> Path:
    """The bundled Shaanxi example copied into `folder`, writing inside it."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "examples" / "shaanxi-facilities.csv", folder)
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('"../layers"', '"layers"').replace('"../maps"', '"maps"')
    path = folder / "shaanxi.toml"
    path.write_text(text.replace('basemap = "auto"', 'basemap = "none"'), "utf-8")
    return path


def test_the_shaanxi_example_runs_the_same_in_process_and_on_clusters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every county and the province printed; a local cluster's answers, a cluster
    started by hand's and this process's are one, and what a province-wide
    measurement gives."""
    cluster = _example(tmp_path / "cluster")
    assert main(["run", str(cluster), "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "province 610000000000 陕西省:" in printed
    assert printed.count("\n  61") == 107  # one line per county
    assert "107 counties measured (0 from checkpoints), 0 failed" in printed
    on_cluster = _tables(cluster.parent / "layers", "shaanxi")
    timings = on_cluster["timings"]
    assert len(timings) == 107
    assert set(timings["status"]) == {"done"}
    assert timings["seconds"].astype(float).gt(0).all()
    assert timings["worker"].nunique() == 2  # two worker processes shared them
    assert (cluster.parent / "maps" / "shaanxi.html").is_file()
    assert (cluster.parent / "maps" / "shaanxi-cities.html").is_file()

    serial = _example(tmp_path / "serial")
    assert main(["run", str(serial)]) == 0
    _same(on_cluster, _tables(serial.parent / "layers", "shaanxi"))
    remote = _example(tmp_path / "remote")
    with _cluster() as address:
        assert main(["run", str(remote), "--scheduler", address]) == 0
    _same(on_cluster, _tables(remote.parent / "layers", "shaanxi"))

    # the split changes nothing: one measurement over the whole province
    demand = pd.read_csv(
        cluster.parent / "layers" / "shaanxi-demand.csv", dtype={"code": str}
    )
    facilities = pd.read_csv(ROOT / "examples" / "shaanxi-facilities.csv")
    whole = coverage.distance_coverage(
        lonlat_points(demand[["code", "precision", "lon", "lat"]]),
        lonlat_points(facilities.set_index("id")),
        radius_m=20_000,
    )
    assert (whole["coverage_status"] == demand["coverage_status"]).all()
    assert (whole["nearest_facility"] == demand["nearest_facility"]).all()
    # measured in each county's UTM zone rather than the province's one
    assert np.allclose(
        whole["dist_to_nearest_m"], demand["dist_to_nearest_m"], rtol=5e-3
    )
    counties = on_cluster["counties"].astype({"covered": int, "located": int})
    totals = on_cluster["totals"].set_index("code")
    assert counties["covered"].sum() == int(totals.at["610000000000", "covered"])
    assert counties["located"].sum() == len(demand) == 1317  # every town of Shaanxi


def test_counties_are_named_by_code_prefix_list_or_star() -> None:
    known = Gazetteer.builtin().units
    counties = known.index[known["level"] == "county"].tolist()

    def job(value: str | list[str]) -> RegionalJob:
        return RegionalJob(
            counties=value, demand_units="town", facilities="f.csv", radius_m=1
        )

    assert job("6110").county_codes(counties) == SHANGLUO
    assert job(["611002", "6109"]).county_codes(counties)[:2] == ["610902", "610921"]
    assert len(job("61").county_codes(counties)) == 107
    assert len(job("*").county_codes(counties)) == len(counties)
    with pytest.raises(ValidationError, match=r"\['6199'\] name no county"):
        job(["6110", "6199"]).county_codes(counties)
    with pytest.raises(ValidationError, match="weight_column: not used county by"):
        RegionalJob(
            counties="61", demand_units="town", facilities="f.csv", radius_m=1,
            weight_column="people",
        )  # fmt: skip


def test_an_analysis_file_over_counties_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.toml"
    path.write_text(
        '[analysis]\njob = "coverage"\n[inputs.demand]\nunits = "town"\n'
        '[inputs.facilities]\npath = "f.csv"\ncoords = "wgs84"\n'
        "[coverage]\nradius_m = 100\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"units needs \[analysis\] counties"):
        analysis.load(path)
    plain = _example(tmp_path / "plain")
    plain.write_text(
        plain.read_text(encoding="utf-8").replace('counties = "61"', ""), "utf-8"
    )
    with pytest.raises(ValidationError):
        analysis.load(plain)  # units without counties, again
    plain.write_text(
        plain.read_text(encoding="utf-8").replace(
            'units = "town"', 'path = "towns.csv"\ncoords = "wgs84"'
        ),
        "utf-8",
    )
    assert main(["run", str(plain), "--workers", "2"]) == 1
    assert "names no counties: add counties" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["run", str(plain), "--workers", "0"])
    assert usage.value.code == 2


def test_a_demand_layer_with_unit_codes_is_split_by_county(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-checkable world: a centre in 商州区, demand 500 m and 2 km north of
    it, one in 洛南县 beside its own centre; a row of another county left out."""
    north = 1 / 110_574  # degrees of latitude per metre here, near enough
    (tmp_path / "demand.csv").write_text(
        "id,code,name,lon,lat\n"
        f"1,611002100200,near,109.9,{33.9 + 500 * north:.7f}\n"
        f"2,611002100201,far,109.9,{33.9 + 2000 * north:.7f}\n"
        "3,611021100200,洛南,110.15,34.1\n"
        "4,610102001001,西安,108.95,34.26\n",
        encoding="utf-8",
    )
    (tmp_path / "facilities.csv").write_text(
        "id,name,lon,lat\nA,商州中心,109.9,33.9\nB,洛南中心,110.15,34.1\nC,无坐标,,\n",
        encoding="utf-8",
    )
    job = RegionalJob(
        counties=["611002", "611021"],
        demand=tmp_path / "demand.csv",
        facilities=tmp_path / "facilities.csv",
        coords="wgs84",
        radius_m=1000,
        out=tmp_path / "out.gpkg",
    )
    result = run_regional(job)
    err = capsys.readouterr().err
    assert "1 rows whose code lies in none of the counties chosen" in err
    assert "1 facilities without a location are left out (C;" in err
    demand = result.demand.set_index("name")
    assert demand.loc["near", "coverage_status"] == "covered"
    assert demand.loc["far", "coverage_status"] == "not_covered"
    assert demand.loc["洛南", "nearest_facility"] == "B"
    assert demand.loc["near", "dist_to_nearest_m"] == pytest.approx(500, abs=3)
    assert demand.loc["far", "dist_to_nearest_m"] == pytest.approx(2000, abs=10)
    counties = result.counties.set_index("county")
    assert counties.loc["611002", ["covered", "not_covered"]].tolist() == [1, 1]
    assert counties.loc["611002", "covered_share"] == 0.5
    assert result.totals.set_index("level").loc["province", "located"] == 3


# -- Shangluo with a street network per county ---------------------------------


def _osm_grid(path: Path, bounds: tuple[float, float, float, float], n: int) -> None:
    """A drivable n x n street grid over `bounds` (lon/lat), as an OSM file."""
    west, south, east, north = bounds
    salt = uuid.uuid4().hex  # a fresh file: no network cache of an earlier run
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<osm version="0.6" generator="geoplan tests {salt}">',
    ]
    lines += [
        f'<node id="{1 + i * n + j}" lat="{south + (north - south) * i / (n - 1):.7f}"'
        f' lon="{west + (east - west) * j / (n - 1):.7f}" version="1"/>'
        for i in range(n)
        for j in range(n)
    ]
    way = 0
    for i in range(n):
        for j in range(n - 1):
            for a, b in ((i * n + j, i * n + j + 1), (j * n + i, (j + 1) * n + i)):
                way += 1
                lines.append(
                    f'<way id="{way}" version="1"><nd ref="{a + 1}"/>'
                    f'<nd ref="{b + 1}"/><tag k="highway" v="secondary"/></way>'
                )
    path.write_text("\n".join([*lines, "</osm>"]), encoding="utf-8")


@pytest.fixture
def shangluo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Shangluo's 7 counties, each with its own network file; a fresh cache."""
    from geoplan import settings

    cache = tmp_path / "cache"
    monkeypatch.setenv("GEOPLAN_CACHE", str(cache))  # for worker processes
    monkeypatch.setattr(settings, "cache_folder", cache)
    units = Gazetteer.builtin().units
    towns = units[(units["level"] == "town") & units.index.str.startswith("6110")]
    (tmp_path / "networks").mkdir()
    for county, rows in towns.groupby(towns.index.str[:6]):
        west, south = rows["lon"].min() - 0.05, rows["lat"].min() - 0.05
        east, north = rows["lon"].max() + 0.05, rows["lat"].max() + 0.05
        _osm_grid(
            tmp_path / "networks" / f"{county}.osm", (west, south, east, north), 45
        )
    facilities = pd.read_csv(ROOT / "examples" / "shaanxi-facilities.csv", dtype=str)
    facilities[facilities["county_code"].str.startswith("6110")].to_csv(
        tmp_path / "facilities.csv", index=False
    )
    path = tmp_path / "shangluo.toml"
    path.write_text(
        '[analysis]\njob = "coverage"\ncounties = "6110"\n'
        '[inputs.demand]\nunits = "town"\n'
        '[inputs.facilities]\npath = "facilities.csv"\ncoords = "wgs84"\n'
        '[coverage]\nradius_m = 20000\nmode = "drive"\n'
        'network = "networks/{county}.osm"\n'
        '[outputs]\nlayers_dir = "layers"\nmaps_dir = "maps"\nbasemap = "none"\n',
        encoding="utf-8",
    )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _cluster() -> Iterator[str]:
    """A Dask scheduler and two workers, each started as its own process."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [bin_dir / "dask", "scheduler", "--host", "127.0.0.1", "--port",
         address.rsplit(":", 1)[1], "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [
                bin_dir / "dask",
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-dashboard",
                "--name",
                f"w{i}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in [*workers, scheduler]:
            process.terminate()
        for process in [*workers, scheduler]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _kill_a_busy_worker(address: str, finished: threading.Event) -> tuple[str, str]:
    """Wait until a worker runs a county, kill its process; return county, pid."""
    from distributed import Client

    with Client(address, timeout="30s") as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not finished.is_set():
            busy = {w: keys for w, keys in client.processing().items() if keys}
            if busy:
                worker, keys = next(iter(busy.items()))
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                return str(keys[0]).split("-")[1], str(pid)
            time.sleep(0.02)
    pytest.fail("no worker was ever busy with a county")


def test_a_cluster_started_by_hand_survives_a_killed_worker_and_equals_serial(
    shangluo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _cluster() as address:
        finished = threading.Event()
        codes: list[int] = []

        def run() -> None:
            codes.append(main(["run", str(shangluo), "--scheduler", address]))
            finished.set()

        runner = threading.Thread(target=run)
        runner.start()
        county, pid = _kill_a_busy_worker(address, finished)
        runner.join(timeout=600)
        assert codes == [0]
    remote = _tables(shangluo.parent / "layers", "shangluo")
    timings = remote["timings"].set_index("county")
    assert list(timings.index) == SHANGLUO
    assert set(timings["status"]) == {"done"}
    # the county the killed worker was running ran again, in another process
    assert not timings.at[county, "worker"].endswith(f":{pid}")
    assert "7 counties measured" in capsys.readouterr().out

    # the same job in this process, from scratch: the same answers, cell by cell
    shutil.rmtree(shangluo.parent / "layers")
    assert main(["run", str(shangluo)]) == 0
    serial = _tables(shangluo.parent / "layers", "shangluo")
    _same(remote, serial)
    statuses = set(serial["demand"]["coverage_status"])
    assert {"covered", "not_covered"} <= statuses  # a real answer, not all one way


def test_a_bad_county_is_reported_while_the_others_finish(
    shangluo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    networks = shangluo.parent / "networks"
    (networks / "611023.osm").write_text("<osm>not a network", encoding="utf-8")
    (networks / "611026.osm").unlink()
    assert main(["run", str(shangluo), "--workers", "2"]) == 1
    printed = capsys.readouterr().out
    assert "2 counties failed" in printed
    tables = _tables(shangluo.parent / "layers", "shangluo")
    failures = tables["failures"].set_index("county")
    assert sorted(failures.index) == ["611023", "611026"]
    assert "no network file" in failures.at["611026", "reason"]
    assert "611023.osm" in failures.at["611023", "reason"]
    assert failures.at["611023", "name"] == "商南县"
    done = tables["counties"]["county"].tolist()
    assert done == [c for c in SHANGLUO if c not in ("611023", "611026")]

    # fixed: the rerun computes only the two that failed
    shutil.copy(networks / "611021.osm", networks / "611026.osm")  # any network
    shutil.copy(networks / "611022.osm", networks / "611023.osm")
    assert main(["run", str(shangluo)]) == 0
    err = capsys.readouterr().err
    assert "5 counties reused" in err
    assert "县 2/2" in err


def _saved(parts: Path) -> list[str]:
    """The counties the ledger says are saved (complete lines only)."""
    ledger = parts / "done.jsonl"
    if not ledger.is_file():
        return []
    lines = ledger.read_text(encoding="utf-8").split("\n")[:-1]  # not a cut one
    return sorted(json.loads(line)["county"] for line in lines)


def test_a_killed_client_resumes_with_only_the_missing_counties(
    shangluo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = shangluo.parent / "layers" / "shangluo.gpkg.parts"
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from geoplan.cli import main; sys.exit(main(sys.argv[1:]))",
         "run", str(shangluo)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(_saved(parts)) < 2:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    finished = sorted(
        json.loads(line)["county"]
        for line in (parts / "done.jsonl").read_text(encoding="utf-8").splitlines()
    )
    assert 2 <= len(finished) < 7, "the client was not killed mid-run"
    stamps = {p.name: p.stat().st_mtime_ns for p in parts.glob("part-*.parquet")}

    assert main(["run", str(shangluo)]) == 0
    err = capsys.readouterr().err
    missing = 7 - len(finished)
    assert f"{len(finished)} counties reused" in err
    assert f"县 {missing}/{missing}" in err
    assert f"县 {missing + 1}/" not in err
    for name, stamp in stamps.items():  # the saved batches were read, not rewritten
        assert (parts / name).stat().st_mtime_ns == stamp
    assert _saved(parts) == sorted(set(_saved(parts)))
    assert len(_tables(shangluo.parent / "layers", "shangluo")["counties"]) == 7
