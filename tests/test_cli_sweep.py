"""Every subcommand with missing, empty and wrong arguments: one message, no traceback.

Runs ``geoplan.cli.main(argv)`` in-process. A user's mistake must end in one
``geoplan: error:`` line naming the file or option (exit 1), or argparse's
usage line (exit 2); never a Python traceback, and never the catch-all that
reports a bug in geoplan.
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geoplan import settings
from geoplan.cli import _build_parser, main


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A folder of good, empty and wrong files; the gazetteer store kept inside."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "gazetteer_path", tmp_path / "cache" / "gz.gpkg")
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    (tmp_path / "d.csv").write_text("name,lon,lat\n甲,109.94,33.87\n", encoding="utf-8")
    for name in ("empty.csv", "empty.gpkg", "empty.toml", "empty.osm", "empty.xlsx"):
        (tmp_path / name).write_bytes(b"")
    noise = bytes(range(256)) * 8
    for name in ("noise.csv", "noise.gpkg", "noise.toml", "noise.osm", "noise.xlsx"):
        (tmp_path / name).write_bytes(noise)
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "layers").mkdir()
    (tmp_path / "layers" / "shangluo.gpkg").write_bytes(b"")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "xianan-progress.csv").write_text("category\n", "utf-8")
    gpd.GeoDataFrame(
        {"share": [0.5], "name": ["甲镇"]},
        geometry=[Point(109.94, 33.87).buffer(0.01)],
        crs=4326,
    ).to_file(tmp_path / "u.gpkg", layer="units")
    return tmp_path


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


DEMAND = ["--coords", "wgs84", "--radius-m", "500"]
#: (arguments, exit code, text the message must contain)
CASES = [
    (["demo"], 2, "the following arguments are required: example"),
    (["demo", "shangluo", "--gazetteer", "none.gpkg"], 1, "none.gpkg"),
    (["demo", "shangluo", "--gazetteer", "empty.gpkg"], 1, "empty.gpkg"),
    (["demo", "shangluo", "--gazetteer", "noise.gpkg"], 1, "noise.gpkg"),
    (["demo", "shangluo", "--overrides", "empty.csv"], 1, "empty.csv"),
    (["demo", "shangluo", "--overrides", "folder.csv"], 1, "folder.csv"),
    (["demo", "shangluo", "--gazetteer", "layers/shangluo.gpkg"], 1,
     "the demo's GeoPackage would write layers/shangluo.gpkg"),
    (["coverage"], 2, "the following arguments are required"),
    (["coverage", "--demand", "empty.csv", "--facilities", "d.csv", *DEMAND], 1,
     "empty.csv"),
    (["coverage", "--demand", "noise.csv", "--facilities", "d.csv", *DEMAND], 1,
     "noise.csv"),
    (["coverage", "--demand", "folder.csv", "--facilities", "d.csv", *DEMAND], 1,
     "folder.csv"),
    (["coverage", "--demand", "d.csv", "--facilities", "noise.gpkg", *DEMAND], 1,
     "noise.gpkg"),
    (["coverage", "--demand", "d.csv", "--facilities", "empty.gpkg", *DEMAND], 1,
     "empty.gpkg"),
    (["coverage", "--demand", "d.csv", "--facilities", "empty.xlsx", *DEMAND], 1,
     "empty.xlsx"),
    (["coverage", "--demand", "d.csv", "--facilities", "noise.xlsx", *DEMAND], 1,
     "noise.xlsx"),
    (["coverage", "--demand", "d.csv", "--facilities", "d.csv", *DEMAND,
      "--method", "network"], 1, "--method network needs --network FILE"),
    (["coverage", "--demand", "d.csv", "--facilities", "d.csv", *DEMAND,
      "--network", "empty.osm"], 1, "empty.osm"),
    (["coverage", "--demand", "d.csv", "--facilities", "d.csv", *DEMAND,
      "--network", "noise.osm"], 1, "noise.osm"),
    (["coverage", "--demand", "d.csv", "--facilities", "d.csv", *DEMAND,
      "--out", "d.gpkg"], 1, "the CSV beside --out would write d.csv"),
    (["coverage", "--demand", "d.csv", "--facilities", "u.gpkg", *DEMAND,
      "--map", "u.gpkg"], 1, "--map would write u.gpkg"),
    (["gazetteer", "import"], 2, "the following arguments are required"),
    (["gazetteer", "import", "empty.csv", "--format", "adcode"], 1, "empty.csv"),
    (["gazetteer", "import", "noise.csv", "--format", "adcode"], 1, "noise.csv"),
    (["gazetteer", "import", "folder.csv", "--format", "adcode"], 1, "folder.csv"),
    (["gazetteer", "import", "d.csv", "--format", "table"], 1,
     "--format table needs --name-column"),
    (["gazetteer", "import", "u.gpkg", "--format", "adcode", "--store", "u.gpkg"], 1,
     "--store would write u.gpkg"),
    (["gazetteer", "info", "--store", "none.gpkg"], 1, "none.gpkg"),
    (["gazetteer", "info", "--store", "empty.gpkg"], 1, "empty.gpkg"),
    (["gazetteer", "info", "--store", "noise.gpkg"], 1, "noise.gpkg"),
    (["gazetteer", "info", "--store", "u.gpkg"], 1, "u.gpkg"),
    (["geocode"], 2, "the following arguments are required"),
    (["geocode", "empty.csv", "--name-column", "name"], 1, "empty.csv"),
    (["geocode", "noise.csv", "--name-column", "name"], 1, "noise.csv"),
    (["geocode", "folder.csv", "--name-column", "name"], 1, "folder.csv"),
    (["geocode", "noise.xlsx", "--name-column", "name"], 1, "noise.xlsx"),
    (["geocode", "d.csv", "--name-column", "名称"], 1, "no column '名称'"),
    (["geocode", "d.csv", "--name-column", "name", "--out", "d.gpkg"], 1,
     "the CSV beside --out would write d.csv"),
    (["geocode", "d.csv", "--name-column", "name", "--overrides", "empty.csv"], 1,
     "empty.csv"),
    (["geocode", "d.csv", "--name-column", "name", "--store", "noise.gpkg"], 1,
     "noise.gpkg"),
    (["export"], 2, "the following arguments are required"),
    (["export", "none.gpkg"], 1, "none.gpkg"),
    (["export", "empty.gpkg"], 1, "empty.gpkg"),
    (["export", "noise.gpkg"], 1, "noise.gpkg"),
    (["export", "folder.csv", "--list"], 1, "folder.csv"),
    (["export", "noise.gpkg", "--list"], 1, "noise.gpkg"),
    (["export", "empty.gpkg", "--list"], 1, "empty.gpkg"),
    (["export", "u.gpkg", "--layer", "towns"], 1, "no layers ['towns']"),
    (["map"], 2, "the following arguments are required"),
    (["map", "empty.gpkg", "--units", "u", "--share-column", "s"], 1, "empty.gpkg"),
    (["map", "d.csv", "--units", "u", "--share-column", "s"], 1, "d.csv"),
    (["map", "u.gpkg", "--units", "units", "--share-column", "nope"], 1,
     "no column 'nope'"),
    (["map", "u.gpkg", "--units", "units", "--share-column", "share", "--out",
      "u.gpkg"], 1, "--out would write u.gpkg"),
    (["map", "u.gpkg", "--units", "units", "--share-column", "share", "--points",
      "units", "--colour-by", "name"], 1, "--colour-by takes precision"),
    (["plan"], 2, "the following arguments are required"),
    (["plan", "check"], 2, "the following arguments are required: plan"),
    (["plan", "check", "atlantis"], 1, "atlantis"),
    (["plan", "check", "noise.toml"], 1, "noise.toml"),
    (["plan", "check", "xianan", "--facilities", "empty.csv", "--category",
      "社工站"], 1, "empty.csv"),
    (["plan", "check", "xianan", "--facilities", "noise.csv", "--category",
      "社工站"], 1, "noise.csv"),
    (["plan", "check", "xianan", "--units", "folder.csv"], 1, "folder.csv"),
    (["plan", "check", "xianan", "--facilities", "out/xianan-progress.csv",
      "--out-dir", "out"], 1, "would write out/xianan-progress.csv"),
    (["recommend"], 2, "the following arguments are required"),
    (["recommend", "--demand", "empty.csv", "--candidates", "d.csv", "--coords",
      "wgs84", "--radius-m", "100", "--k", "1"], 1, "empty.csv"),
    (["recommend", "--demand", "d.csv", "--candidates", "noise.gpkg", "--coords",
      "wgs84", "--radius-m", "100", "--k", "1"], 1, "noise.gpkg"),
    (["recommend", "--demand", "d.csv", "--candidates-grid-m", "500", "--coords",
      "wgs84", "--radius-m", "100", "--k", "1"], 1,
     "--candidates-grid-m needs --units"),
    (["recommend", "--demand", "d.csv", "--candidates-grid", "500", "--units",
      "noise.gpkg", "--coords", "wgs84", "--radius-m", "100", "--k", "1"], 1,
     "noise.gpkg"),
    (["recommend", "--demand", "d.csv", "--candidates", "d.csv", "--coords",
      "wgs84", "--radius-m", "100", "--k", "1", "--out", "d.gpkg", "--map",
      "d.csv"], 1, "--map would write d.csv"),
    (["run"], 2, "the following arguments are required"),
    (["run", "none.toml"], 1, "none.toml"),
    (["run", "empty.toml"], 1, "empty.toml"),
    (["run", "noise.toml"], 1, "noise.toml"),
    (["run", "folder.csv"], 1, "folder.csv"),
    (["init"], 2, "the following arguments are required"),
    (["init", "d.csv"], 1, "d.csv exists"),
    (["init", "d.csv/y.toml"], 1, "d.csv"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "code", "text"), CASES, ids=lambda c: str(c)[:60])
def test_mistakes_end_in_one_message(world, capsys, argv, code, text):
    if code == 2:
        with pytest.raises(SystemExit) as exited:
            main(argv)
        _, err = capsys.readouterr()
        assert exited.value.code == 2
        assert len(err.strip().splitlines()) == 1, err
        assert text in err
        return
    got, _, err = run(argv, capsys)
    assert got == code, err
    assert "Traceback" not in err
    assert "This is a bug" not in err, err
    assert "geoplan: error: " in err, err
    assert text in err, err


def test_debug_shows_the_traceback(world, capsys):
    code, _, err = run(
        ["--debug", "geocode", "empty.csv", "--name-column", "n"], capsys
    )
    assert code == 1
    assert "Traceback (most recent call last)" in err
    assert "geoplan: error: " in err


def test_every_option_and_command_has_help():
    missing = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                described = {a.dest: a.help for a in action._choices_actions}
                for name, sub in action.choices.items():
                    if not described.get(name):
                        missing.append(f"{prefix} {name}")
                    walk(sub, f"{prefix} {name}")
            elif not action.help:
                missing.append(f"{prefix} {action.option_strings or action.dest}")

    walk(_build_parser(), "geoplan")
    assert missing == []
