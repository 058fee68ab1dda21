"""One job, three doors: the CLI, an analysis file and the Python API agree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import geoplan
from geoplan.cli import main
from geoplan.errors import ValidationError
from geoplan.workflows import CoverageJob, run_coverage


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame(
        {
            "name": ["甲村", "乙村", "丙村", "丁村"],
            "lon": [109.94, 109.96, 110.5, ""],
            "lat": [33.87, 33.87, 33.9, ""],
            "households": [120, 80, 40, 10],
        }
    ).to_csv("demand.csv", index=False)
    pd.DataFrame({"name": ["站"], "lon": [109.941], "lat": [33.871]}).to_csv(
        "facilities.csv", index=False
    )
    return tmp_path


def table(path):
    return pd.read_csv(path, encoding="utf-8-sig")


def test_cli_analysis_file_and_api_write_the_same_tables(inputs, capsys):
    assert main(["coverage", "--demand", "demand.csv", "--facilities",
                 "facilities.csv", "--coords", "wgs84", "--radius-m", "1000",
                 "--weight-column", "households", "--basemap", "none",
                 "--out", "cli/c.gpkg"]) == 0  # fmt: skip
    cli_out = capsys.readouterr().out
    (inputs / "a.toml").write_text(
        '[analysis]\njob = "coverage"\n'
        '[inputs.demand]\npath = "demand.csv"\ncoords = "wgs84"\n'
        '[inputs.facilities]\npath = "facilities.csv"\ncoords = "wgs84"\n'
        '[coverage]\nradius_m = 1000\nweight_column = "households"\n'
        '[outputs]\nbasemap = "none"\ngpkg = "toml/c.gpkg"\nmap = "toml/c.html"\n',
        encoding="utf-8",
    )
    assert main(["run", "a.toml"]) == 0
    toml_out = capsys.readouterr().out
    job = CoverageJob(
        demand="demand.csv",
        facilities="facilities.csv",
        coords="wgs84",
        radius_m=1000,
        weight_column="households",
        basemap="none",
        out="api/c.gpkg",
    )
    result = run_coverage(job)
    written = result.write()
    assert [p.name for p in written] == ["c.gpkg", "c.csv", "c.html"]
    expected = table(inputs / "api" / "c.csv")
    assert expected["coverage_status"].tolist() == [
        "covered", "not_covered", "not_covered", "not_located",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(table(inputs / "cli" / "c.csv"), expected)
    pd.testing.assert_frame_equal(table(inputs / "toml" / "c.csv"), expected)
    summary = result.summary()
    assert summary in cli_out
    assert summary in toml_out
    assert geoplan.run_coverage is run_coverage


def test_a_job_is_checked_when_it_is_made():
    with pytest.raises(ValidationError, match=r"give one reach: a radius .* preset"):
        CoverageJob(demand="d.csv", facilities="f.csv")
    with pytest.raises(ValidationError, match="--method network needs --network"):
        CoverageJob(demand="d.csv", facilities="f.csv", radius_m=5, method="network")
    job = CoverageJob(demand="d.csv", facilities="f.csv", preset="gb50180-15min")
    assert job.method == "euclidean"
    assert str(job.map) == "maps/coverage.html"


def test_a_job_names_every_wrong_field_by_its_option_in_one_message():
    with pytest.raises(ValidationError) as caught:
        CoverageJob(
            demand="d.csv",
            facilities="f.csv",
            radius_m=-5,
            target_share=90,
            coords="gcj03",
            mode="fly",
            colour="red",
        )
    message = str(caught.value)
    assert "--radius-m (radius_m) must be greater than 0, got -5" in message
    assert "--target-share (target_share) must be a share between 0 and 1" in message
    assert "--coords (coords) = 'gcj03' is not one of ['wgs84', 'gcj02', 'bd09']" in (
        message
    )
    assert (
        "--mode (mode) = 'fly' is not one of ['walk', 'elderly_walk', 'cycle'"
        in message
    )
    assert "--colour (colour) is not a known key" in message
    assert message.count(";") == 4
    assert "pydantic" not in message


def test_replace_checks_again_and_moves_the_default_map_with_out():
    job = CoverageJob(demand="d.csv", facilities="f.csv", radius_m=500)
    moved = job.replace(out="layers/other.gpkg")
    assert str(moved.map) == "maps/other.html"
    kept = CoverageJob(
        demand="d.csv", facilities="f.csv", radius_m=500, map="mine.html"
    ).replace(radius_m=800)
    assert (str(kept.map), kept.radius_m) == ("mine.html", 800)
    with pytest.raises(ValidationError, match="must be greater than 0"):
        job.replace(radius_m=0)


def test_an_analysis_file_lists_every_problem_at_once(tmp_path):
    from geoplan.workflows import analysis

    path = tmp_path / "a.toml"
    path.write_text(
        '[analysis]\njob = "coverage"\n'
        '[inputs.demand]\npath = "d.csv"\ncoords = "wgs84"\nlayr = "x"\n'
        "[coverage]\nradius_m = 0\nk = 3\n"
        '[recommend]\ncandidates = "c.csv"\nk = 0\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        analysis.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for part in (
        "[inputs.demand] unknown key 'layr'",
        "[coverage] radius_m must be greater than 0, got 0",
        "[coverage] unknown key 'k'",
        "[recommend] k must be at least 1, got 0",
    ):
        assert part in message


def test_recommend_from_the_cli_and_the_api_choose_the_same_sites(inputs, capsys):
    from geoplan.workflows import RecommendJob, run_recommend

    pd.DataFrame(
        {"name": ["A", "B", "C"], "lon": [109.95, 110.3, 110.6], "lat": [33.87] * 3}
    ).to_csv("sites.csv", index=False)
    argv = ["recommend", "--demand", "demand.csv", "--candidates", "sites.csv",
            "--coords", "wgs84", "--radius-m", "3000", "--k", "1",
            "--basemap", "none", "--out", "cli/r.gpkg"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    job = RecommendJob(
        demand="demand.csv",
        candidates="sites.csv",
        coords="wgs84",
        radius_m=3000,
        k=1,
        basemap="none",
        out="api/r.gpkg",
    )
    result = run_recommend(job)
    assert result.chosen["name"].tolist() == ["A"]  # two villages within 3 km
    result.write()
    assert result.summary() in printed
    cli = pd.read_csv(inputs / "cli" / "r-curve.csv")
    pd.testing.assert_frame_equal(cli, pd.read_csv(inputs / "api" / "r-curve.csv"))
    with pytest.raises(ValidationError, match="exactly one source of candidates"):
        RecommendJob(demand="d.csv", radius_m=5, k=1)
    with pytest.raises(ValidationError, match=r"a target share .* or a number"):
        RecommendJob(demand="d.csv", candidates="c.csv", radius_m=5)


def test_the_shangluo_demo_its_analysis_file_and_the_api_agree(tmp_path, capsys):
    """`geoplan demo shangluo`, `geoplan run examples/shangluo.toml`, Python."""
    import pyogrio

    from geoplan.cases.shangluo import demo

    repo = Path(__file__).resolve().parents[1]
    argv = ["demo", "shangluo", "--basemap", "none"]
    cli = tmp_path / "cli"
    assert main([*argv, "--layers-dir", str(cli), "--maps-dir", str(cli)]) == 0
    example = (repo / "examples" / "shangluo.toml").read_text(encoding="utf-8")
    example = example.replace('"../layers"', '"../toml"').replace(
        '"../maps"', '"../toml"'
    )
    (tmp_path / "examples").mkdir()
    analysis_file = tmp_path / "examples" / "shangluo.toml"
    analysis_file.write_text(example.replace('"auto"', '"none"'), encoding="utf-8")
    assert main(["run", str(analysis_file)]) == 0
    printed = capsys.readouterr().out
    api = demo.run_shangluo(
        layers_folder=tmp_path / "api", maps_folder=tmp_path / "api", basemap="none"
    )
    report = demo.format_report(api).split("\n\n")[0]  # title and table: no paths
    assert "商洛市" in report
    assert printed.count(report) == 2  # the demo and the analysis file print it
    for name in (
        "shangluo-relocation-coverage.csv",
        "shangluo-relocation-validation.csv",
        "shangluo-fixes.csv",
    ):
        expected = table(tmp_path / "api" / name)
        pd.testing.assert_frame_equal(table(cli / name), expected)
        pd.testing.assert_frame_equal(table(tmp_path / "toml" / name), expected)
    layers = pyogrio.list_layers(tmp_path / "api" / "shangluo.gpkg")[:, 0]
    for layer in set(layers) - {"layer_styles"}:  # styles carry their write time
        expected = pyogrio.read_dataframe(
            tmp_path / "api" / "shangluo.gpkg", layer=layer
        )
        for door in (cli, tmp_path / "toml"):
            got = pyogrio.read_dataframe(door / "shangluo.gpkg", layer=layer)
            pd.testing.assert_frame_equal(got, expected)
    assert len(expected) > 0


def test_bundled_cases_are_data_and_each_runs_its_own_analysis():
    import importlib

    from geoplan import _cases
    from geoplan.cases.shangluo import demo
    from geoplan.planning import plans
    from geoplan.workflows import analysis

    repo = Path(__file__).resolve().parents[1]
    assert analysis.jobs()[0] == "coverage"
    assert demo.JOB in _cases.cases()
    for job, case in _cases.cases().items():
        module = importlib.import_module(case["module"])
        assert callable(module.run_analysis), job
        assert analysis.load(repo / case["example"]).job == job
        # its computations are registered once its module is imported
        assert set(case["computations"]) <= set(plans.CASE_COMPUTATIONS)
