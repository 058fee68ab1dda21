"""The transcribed Shangluo cemetery table, its coverage counts and checks."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from geoplan.cases.shangluo import relocation
from geoplan.errors import ValidationError

# Hand-counted from the plan's table (seed lines 767-843):
# sites, built, planned, named entries, of which new, of which attached.
EXPECTED = {
    "611002": ("商州区", 45, 0, 8, 11, 6, 5),
    "611021": ("洛南县", 39, 2, 26, 37, 37, 0),
    "611022": ("丹凤县", 12, 5, 0, 3, 0, 3),
    "611023": ("商南县", 16, 4, 0, 6, 0, 6),
    "611024": ("山阳县", 55, 3, 2, 20, 2, 18),
    "611025": ("镇安县", 59, 9, 24, 36, 32, 4),
    "611026": ("柞水县", 21, 3, 0, 11, 0, 11),
}


def test_county_totals_are_the_seed_numbers(totals, shangluo_seed_lines):
    for code, row in totals.iterrows():
        start = row["source_line"] - 1  # the county's name; numbers every 2nd line
        assert shangluo_seed_lines[start] == row["county"], code
        printed = [int(shangluo_seed_lines[start + k]) for k in (2, 4, 6)]
        assert printed == [
            row["sites"],
            row["cemeteries_built"],
            row["cemeteries_planned"],
        ], row["county"]
    assert totals.loc[
        "611000", ["sites", "cemeteries_built", "cemeteries_planned"]
    ].tolist() == [247, 26, 60]


def test_named_entries_rebuild_each_seed_row(sites, totals, shangluo_seed_lines):
    """Joining the entries in order gives back the seed's text, bar separators."""
    for code, entries in sites.groupby("county_code", sort=False):
        rebuilt = "".join(
            "".join(group["site_name"]) + f"({group['arrangement_as_written'].iloc[0]})"
            for _, group in entries.groupby("group", sort=True)
        )
        line = shangluo_seed_lines[entries["source_line"].iloc[0] - 1]
        assert rebuilt == line.replace("、", "").replace(",", ""), code
        assert totals.loc[code, "source_line"] + 8 == entries["source_line"].iloc[0]


def test_entries_are_consistent(sites):
    assert len(sites) == 124
    assert set(sites["arrangement"]) == {"new", "attach"}
    prefix = sites["arrangement"].map({"new": "新建", "attach": "挂靠"})
    assert (prefix + sites["target"] == sites["arrangement_as_written"]).all()
    has_town = sites["town_as_written"] != ""
    assert (
        sites.loc[has_town]
        .apply(lambda r: r["site_name"].startswith(r["town_as_written"]), axis=1)
        .all()
    )
    phased = sites["phase"] != ""
    assert sites.loc[phased].apply(lambda r: r["phase"] in r["site_name"], axis=1).all()
    assert phased.sum() == 23


def test_coverage_per_county_matches_hand_counts(sites, totals):
    table = relocation.coverage_by_county(sites, totals)
    for code, (name, n, built, planned, named, new, attach) in EXPECTED.items():
        row = table.loc[code]
        assert row["county"] == name
        assert row[["sites", "cemeteries_built", "cemeteries_planned"]].tolist() == [
            n,
            built,
            planned,
        ]
        assert row[
            ["sites_named", "sites_named_new", "sites_named_attach"]
        ].tolist() == [named, new, attach]
        assert row["sites_unnamed"] == n - named
        assert row["gap_sites"] == n - named
        assert row["provided_share"] == pytest.approx(named / n)
    city = table.loc["611000"]
    assert city["county"] == "商洛市"
    assert city[
        [
            "sites",
            "cemeteries_built",
            "cemeteries_planned",
            "sites_named",
            "sites_unnamed",
            "gap_sites",
        ]
    ].tolist() == [247, 26, 60, 124, 123, 123]
    assert city["provided_share"] == pytest.approx(124 / 247)
    assert list(table.index[:-1]) == list(EXPECTED)


def test_validation_report_keeps_the_seed_inconsistencies(
    sites, totals, community_types
):
    report = relocation.validation_report(sites, totals, community_types)
    mismatches = report[report["status"] == "mismatch"]
    assert sorted(
        zip(
            mismatches["scope"],
            mismatches["expected"],
            mismatches["found"],
            strict=True,
        )
    ) == [("商州区", 8, 6), ("镇安县", 24, 23)]
    city = report[report["scope"] == "商洛市"].set_index("check")
    assert (city.loc[city.index.str.startswith("sum of"), "status"] == "ok").all()
    assert city.loc["新建型 + 融合型 + 挂靠型 = sites", "found"] == 247
    unnamed = report[report["status"] == "incomplete"]
    assert unnamed.loc[unnamed["scope"] == "商洛市", "found"].item() == 124


def test_cemetery_targets_are_distinct_per_county(sites):
    targets = relocation.cemetery_targets(sites)
    assert targets["sites_assigned"].sum() == 124
    per_county = targets.groupby("county_code").size().to_dict()
    assert per_county == {
        "611002": 9,
        "611021": 26,
        "611022": 3,
        "611023": 4,
        "611024": 5,
        "611025": 27,
        "611026": 6,
    }
    new = targets[targets["arrangement"] == "new"]
    assert len(new) == 57  # the seed plans 60: its inconsistency, reported


def test_bad_source_tables_fail_with_file_row_and_column(tmp_path):
    for name in (
        relocation.SITES_FILE,
        relocation.COUNTIES_FILE,
        relocation.COMMUNITY_TYPES_FILE,
    ):
        shutil.copy(relocation.SOURCES / name, tmp_path / name)
    counties = tmp_path / relocation.COUNTIES_FILE
    frame = pd.read_csv(counties, dtype=str)
    frame.loc[2, "sites"] = "12个"
    frame.to_csv(counties, index=False)
    with pytest.raises(ValidationError, match=r"row 4, column 'sites': '12个'"):
        relocation.load("county_totals", tmp_path)
    frame.drop(columns="level").to_csv(counties, index=False)
    with pytest.raises(ValueError, match=r"missing columns \['level'\]"):
        relocation.load("county_totals", tmp_path)
