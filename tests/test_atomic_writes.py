"""Killed runs and full disks leave the previous outputs whole, and no litter."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geoplan.cli import main


def coverage_args(folder: Path) -> list[str]:
    return ["coverage", "--demand", "demand.csv", "--facilities", "fac.csv",
            "--coords", "wgs84", "--radius-m", "500",
            "--out", str(folder / "c.gpkg"), "--map", str(folder / "c.html"),
            "--basemap", "none"]  # fmt: skip


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"村{i},{109.94 + i / 500:.4f},33.87\n" for i in range(40))
    Path("demand.csv").write_text("name,lon,lat\n" + rows, encoding="utf-8")
    Path("fac.csv").write_text("name,lon,lat\n站,109.95,33.87\n", encoding="utf-8")
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


#: Runs the command in a child that stops for good just before one file is
#: flushed into place (after every byte of it was written beside the target).
KILLED_WRITER = """
import os, sys, time
from geoplan.io import _atomic
real = os.fsync
def fsync(fd):
    name = os.readlink(f"/proc/self/fd/{fd}")
    if name.split(".tmp-")[0].endswith(sys.argv[1]):
        print("writing", flush=True)
        time.sleep(120)
    real(fd)
_atomic.os.fsync = fsync
from geoplan.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize("suffix", [".html", ".csv", ".gpkg"])
def test_a_killed_run_leaves_the_previous_file_and_the_next_run_cleans_up(
    inputs, suffix
):
    out = inputs / "o"
    assert main(coverage_args(out)) == 0
    before = snapshot(out)
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), suffix,
         *coverage_args(out)],
        stdout=subprocess.PIPE, text=True, cwd=inputs,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert list(out.glob(".*.tmp-*")), "the killed writer left its temporary file"
    after = snapshot(out)
    assert after.keys() == before.keys()
    assert after[f"c{suffix}"] == before[f"c{suffix}"]  # the previous one, whole
    assert len(pyogrio.read_dataframe(out / "c.gpkg", layer="demand")) == 40
    assert len(pd.read_csv(out / "c.csv", encoding="utf-8-sig")) == 40
    assert main(coverage_args(out)) == 0
    assert not list(out.glob(".*tmp*")), "the next run removes the leftovers"


@contextlib.contextmanager
def small_disk(folder: Path, size: str):
    folder.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mount.returncode:
        pytest.skip(f"a full disk needs a small tmpfs (mount as root): {mount.stderr}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    block = b"\0" * 65536
    with (folder / "filler").open("wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(block)
            handle.flush()


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs is Linux")
def test_a_full_disk_is_one_message_and_leaves_the_previous_files(inputs, capsys):
    with small_disk(inputs / "disk", "16m") as disk:
        assert main(coverage_args(disk)) == 0
        before = snapshot(disk)
        fill(disk)
        capsys.readouterr()
        assert main(coverage_args(disk)) == 1
        err = capsys.readouterr().err
        assert "the disk is full" in err, err
        assert "Traceback" not in err
        assert "bug" not in err
        assert err.strip().count("\n") <= 3  # progress lines, then the one error
        after = snapshot(disk)
        after.pop("filler")
        assert after == before
        assert not list(disk.glob(".*tmp*"))
