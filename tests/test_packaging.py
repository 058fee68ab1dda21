"""geoplan as users install it: a wheel in a fresh virtual environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PIP = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding geoplan's wheel; its dependencies from this env."""
    root = tmp_path_factory.mktemp("wheel")
    # build from a copy: a build/ folder left in the checkout could add stale files
    source = root / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "*.egg-info", "__pycache__", ".*_cache",
            ".hypothesis", "layers", "maps", "artifacts",
        ),
    )  # fmt: skip
    dist = root / "dist"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, source],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("geoplan-*.whl")
    env = root / "venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    subprocess.run(
        [*PIP, "--python", str(python), "install", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    # the dependencies are the ones this environment installed from PyPI; a
    # plain path (not a site dir) so the editable checkout of geoplan stays out
    site = Path(
        subprocess.check_output(
            [
                str(python),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            text=True,
        ).strip()
    )
    (site / "zz_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return env


def _run(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "HOME": str(cwd)}
    environ.pop("TIANDITU_KEY", None)
    environ.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(env / "bin" / "geoplan"), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_wheel_is_what_runs(installed, tmp_path):
    where = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import geoplan; print(geoplan.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(installed)), where
    assert not where.startswith(str(REPO))


def test_wheel_runs_the_demo_from_another_folder(installed, tmp_path):
    listed = _run(installed, "plan", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "shangluo:" in listed.stdout
    assert "xianan:" in listed.stdout
    demo = _run(installed, "demo", "shangluo", "--basemap", "none", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr
    for name in (
        "layers/shangluo.gpkg",
        "layers/shangluo-relocation-coverage.csv",
        "maps/shangluo-relocation-cemeteries.html",
        "maps/shangluo-relocation-cemeteries.png",
    ):
        assert (tmp_path / name).is_file(), name
    categories = _run(installed, "plan", "categories", cwd=tmp_path)
    assert categories.returncode == 0, categories.stderr
