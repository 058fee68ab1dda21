"""Matching a list at once gives each address's own answer (shared steps are exact)."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoplan import settings as geoplan_settings
from geoplan.places import _columnar, _national
from geoplan.places import matcher as matcher_module
from geoplan.places.gazetteer import Gazetteer
from geoplan.places.geocode import geocode
from geoplan.places.matcher import PLACEHOLDERS, Matcher, short_name


@pytest.fixture(scope="module")
def world():
    """Names of Shaanxi's units near Shangluo, their short forms and villages."""
    gazetteer = Gazetteer.builtin()
    units = gazetteer.units
    near = units[units.index.str[:4].isin(["6110", "6101", "6104"])]
    names = set(near["name"]) | {
        short_name(n, lv) for n, lv in zip(near["name"], near["level"], strict=True)
    }
    villages = _national.villages("61")
    shangzhou = {  # 商州区's towns and villages, for sites in one county
        "towns": sorted(near.loc[near.index.str[:6] == "611002", "name"].iloc[1:]),
        "villages": sorted(villages[villages.index.str[:6] == "611002"]["name"]),
    }
    names |= {"陕西省", "陕西", "商洛市", "西安市", "城关镇", "城关街道", "新城区"}
    return (
        sorted(n for n in names if n),
        shangzhou,
        Matcher(gazetteer),
        Matcher(gazetteer),
    )


pieces = st.sampled_from(
    ["安置点", "移民小区一期", "敬老院", "村", "镇", "x", "1", " ", "\u3000"]
)


@settings(
    max_examples=int(os.environ.get("GEOPLAN_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
@pytest.mark.parametrize("read_over_arrays", [False, True])
def test_a_list_matched_at_once_answers_as_each_address_alone(
    world, data, read_over_arrays, monkeypatch
):
    names, shangzhou, batch, alone = world
    # a long list is read over arrays first (lists without a context): any list
    for threshold in ("COLUMNS_FROM", "COLUMNS_BUILT_FROM"):
        monkeypatch.setattr(matcher_module, threshold, 1 if read_over_arrays else 10**9)
    # a few names, whole and cut (商州 of 商州区, then 区): addresses share
    # starts that a longer name may go on past, as a county's list does
    few = data.draw(
        st.lists(
            st.one_of(*(st.sampled_from(v) for v in (names, *shangzhou.values()))),
            min_size=1,
            max_size=4,
        )
    )
    cuts = sorted({n[:k] for n in few for k in range(1, len(n) + 1)})
    rests = sorted({n[k:] for n in few for k in range(1, len(n))})
    part = st.one_of(
        st.sampled_from(cuts),
        st.sampled_from([*rests, *PLACEHOLDERS]) if rests else pieces,
        st.sampled_from(names),
        pieces,
    )
    address = st.lists(part, max_size=6).map("".join)
    # many addresses share starts, as a county's list does
    stem = data.draw(st.lists(address, min_size=1, max_size=4))
    addresses = data.draw(
        st.lists(
            st.tuples(st.sampled_from(stem), address).map("".join),
            min_size=1,
            max_size=25,
        )
    )
    contexts = [None] if read_over_arrays else [None, "611002", "6110", "61", "611025"]
    context = data.draw(st.sampled_from(contexts))
    at_once = batch.match_many(addresses, context=context)
    for text, got in zip(addresses, at_once, strict=True):
        want = alone.match(text, context=context)
        assert dataclasses.asdict(got) == dataclasses.asdict(want), text


def test_a_list_read_over_arrays_leaves_the_walk_what_only_it_reads(world, monkeypatch):
    _, _, batch, alone = world
    monkeypatch.setattr(matcher_module, "COLUMNS_FROM", 1)
    monkeypatch.setattr(matcher_module, "COLUMNS_BUILT_FROM", 1)
    walked = {  # the arrays leave these to the walk
        "陕西省商洛市商州区北宽坪镇全脉村安置点": "a village's name after the town",
        "吉林省四平市公主岭市范家屯镇": "a county since moved: its province searched",
        "陕西省商洛市城关镇敬老院": "several towns of one name below the city",
    }
    read = {  # and read these as the walk does
        "陕西省商洛市商州区北宽坪镇敬老院": "one unit at each step",
        "陕西商洛商州北宽坪敬老院": "short names",
        "商州区北宽坪镇幸福小区": "a town, then no village's name",
        "北京市市辖区东城区东华门街道": "a placeholder, skipped",
        "重庆市县奉节县青龙镇敬老院": "a stray 县, skipped",
        "海南省省直辖县级行政区划五指山市通什镇": "the longest placeholder first",
        "移民安置点": "no name at all",
    }
    texts = [*walked, *read]
    got = batch.match_many(texts)
    assert [dataclasses.asdict(g) for g in got] == [
        dataclasses.asdict(alone.match(t)) for t in texts
    ]
    assert {g.status for g in got} == {"matched", "ambiguous", "unmatched"}
    read = batch.read_many(texts)
    assert read is not None
    at, reads = read
    assert [t for t, i in zip(texts, at, strict=True) if reads.walked[i]] == [*walked]
    # the texts read keep their matches; the walk alone answers alike
    kept = at[len(walked) :]
    assert [dataclasses.asdict(m) for m in batch.read_matches(reads, kept)] == [
        dataclasses.asdict(g) for g in got[len(walked) :]
    ]
    walked_alone = batch.match_many(texts, over_arrays=False)
    assert [dataclasses.asdict(g) for g in walked_alone] == [
        dataclasses.asdict(g) for g in got
    ]


def test_shared_starts_are_read_once(world):
    matcher = Matcher(Gazetteer.builtin())
    heads = []

    class Counted:  # the trie, counting the steps that read it
        def __init__(self, trie):
            self.trie = trie

        def longest_prefix(self, text):
            heads.append(text)
            return self.trie.longest_prefix(text)

        def keys(self, prefix):
            return self.trie.keys(prefix)

    matcher._trie = Counted(matcher._build_trie())
    words = ("安置点", "敬老院", "幸福小区")
    sites = [f"陕西省商洛市商州区北宽坪镇{word}" for word in words]
    answers = matcher.match_many(sites)
    assert {(a.status, a.code) for a in answers} == {("matched", "611002115000")}
    # the first site reads five steps; the others only their own (no name
    # goes on past 北宽坪镇, so what follows it is not read for it)
    assert len(heads) == 5 + 1 + 1
    assert answers == [matcher.match(site) for site in sites]
    assert len(heads) == 7 + 3 * 5


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("商州北宽坪镇", "商州区北宽坪镇"),  # 商州 ended by 北; 区 goes on
        ("北宽坪镇全脉村委会安置点", "北宽坪镇全脉社区安置点"),  # village forms read
        (
            "北京市市辖区东城区",
            "北京市市辖镇东城区",
        ),  # 市辖区 is a placeholder, 市辖镇 not
    ],
)
def test_a_step_is_shared_only_as_far_as_it_read(world, first, then):
    _, _, batch, alone = world
    assert sorted([first, then]) == [first, then]  # `then` would resume from `first`
    context = "611002" if "全脉" in first else None
    want = [alone.match(t, context=context) for t in (first, then)]
    assert want[0] != want[1]
    assert batch.match_many([first, then], context=context) == want


def test_a_geocoded_list_answers_each_row_as_alone_and_counts_every_row(world):
    gazetteer = Gazetteer.builtin()
    matcher = world[2]
    names = pd.Series(
        [
            "陕西省商洛市商州区北宽坪镇全脉村安置点",
            "商州区北宽坪镇敬老院",
            "陕西省商洛市商州区北宽坪镇全脉村安置点",  # twice: one answer, two rows
            "北京市市辖区东城区",
            "新城区",  # ambiguous: candidates, none picked
            "=1+2",
        ],
        index=[10, 11, 12, 13, 14, 15],
    )
    done = []
    at_once = geocode(names, gazetteer=gazetteer, matcher=matcher, progress=done.append)
    assert done == list(range(1, len(names) + 1))
    alone = pd.concat(
        [
            geocode(names.loc[[i]], gazetteer=gazetteer, matcher=matcher)
            for i in names.index
        ]
    )
    pd.testing.assert_frame_equal(at_once, alone, check_dtype=False)
    assert list(at_once["status"]) == [
        "matched", "matched", "matched", "matched", "ambiguous", "unmatched",
    ]  # fmt: skip


def test_codes_that_are_not_twelve_digits_are_not_read_over_arrays():
    # a former code kept beside its namesake has no place among numbers
    digits = {"611002000000": 6, "611002000000@2016": 6}
    full = {"商州区": "611002000000", "商州": "611002000000@2016"}
    assert _columnar.Names.build(full, {}, digits, 2) is None
    names = _columnar.Names.build(
        {"商州区": "611002000000"}, {}, {"611002000000": 6}, 2
    )
    assert names is not None
    assert names.usable
    assert names.codes.tolist() == [611002000000]
    assert names.width(names.codes).tolist() == [10**6]


def _same_arrays(one: _columnar.Names, other: _columnar.Names) -> bool:
    return all(
        np.array_equal(one.arrays[f], other.arrays[f]) for f in one.FIELDS
    ) and np.array_equal(one.points, other.points)


def test_a_matchers_arrays_are_kept_in_the_cache_folder_and_read_back(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(geoplan_settings, "cache_folder", tmp_path)
    gazetteer = Gazetteer.builtin()
    built = Matcher(gazetteer)._arrays()
    assert built is not None
    (kept,) = geoplan_settings.cache_folder.glob("names-*.npz")

    def refused(*args, **kwargs):
        raise AssertionError("built again")

    with monkeypatch.context() as patched:
        patched.setattr(_columnar.Names, "build", refused)
        read = Matcher(gazetteer)._arrays()  # a new index over the same units
    assert read is not None
    assert _same_arrays(built, read)
    assert [(n, list(h)) for n, h, _ in read.by_length] == [
        (n, list(h)) for n, h, _ in built.by_length
    ]
    kept.write_bytes(b"PK\x03\x04 cut short")  # a damaged file: built again
    again = Matcher(gazetteer)._arrays()
    assert again is not None
    assert _same_arrays(built, again)
    assert _columnar.Names.read(kept) is not None  # and written again
    # other units (Shaanxi only) name another file; the stale one goes
    shaanxi = Gazetteer(gazetteer.units[gazetteer.units.index.str.startswith("61")])
    other = Matcher(shaanxi)._arrays()
    assert other is not None
    assert len(other.codes) < len(built.codes)
    assert [p.name for p in geoplan_settings.cache_folder.glob("names-*.npz")] != [
        kept.name
    ]
    assert not kept.exists()


def test_a_long_list_geocoded_over_arrays_is_the_list_walked(monkeypatch):
    # every town of Shaanxi, written as lists are: in full, without the city or
    # the county, with a site word, a placeholder or a village after it
    gazetteer = Gazetteer.builtin()
    units = gazetteer.units
    towns = units[(units["level"] == "town") & units.index.str.startswith("61")]
    name = units["name"].to_dict()
    former = units["former_names"].to_dict()  # 户县@2016: 鄠邑区's towns
    rows = []
    for code in towns.index:
        province, city, county = (name[code[:d].ljust(12, "0")] for d in (2, 4, 6))
        town = name[code]
        rows += [
            f"{province}{city}{county}{town}敬老院",
            f"{county}{town}移民安置点",
            f"{city}{town}幸福小区",
            f"{province}{city}市辖区{town}村",
            f"{province}县{county}{town}养老院",  # a stray 县 (重庆's lists)
        ]
        old = former[code[:6].ljust(12, "0")]
        rows += [f"{o.split('@')[0]}{town}敬老院" for o in old.split(";") if o]
    addresses = pd.Series(rows)
    tables = []
    for threshold in (1, 10**9):  # read over arrays, then walked
        monkeypatch.setattr(matcher_module, "COLUMNS_FROM", threshold)
        monkeypatch.setattr(matcher_module, "COLUMNS_BUILT_FROM", threshold)
        matcher = Matcher(gazetteer)
        tables.append(geocode(addresses, gazetteer=gazetteer, matcher=matcher))
        assert isinstance(matcher._names, _columnar.Names) == (threshold == 1)
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert (tables[0]["precision"] == "town").mean() > 0.7
    assert tables[0]["explanation"].str.contains("former name of 鄠邑区").any()
