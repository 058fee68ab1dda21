"""Shangluo's relocation-site cemetery plan (易地扶贫搬迁点村级公益性公墓规划).

The plan (商洛市“十四五”民政事业发展规划, 专栏七 and its appended table)
promises that each of the city's 247 relocation sites of six or more households
is provided with a public cemetery by the end of 十四五. Its table names 124
site entries with an arrangement: a new village cemetery at X (新建X) or
attachment to the cemetery of X (挂靠X). The rest are unnamed.

The transcription ships inside the package (``geoplan/data/shangluo``) as
three UTF-8 CSV files:

- ``shangluo-relocation-cemetery-sites.csv``: one row per named site entry;
- ``shangluo-relocation-cemetery-counties.csv``: the per-county totals and the
  city total row exactly as printed;
- ``shangluo-relocation-community-types.csv``: the city-level community-type
  split (新建型 28 / 融合型 48 / 挂靠型 171).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.io._io import read_csv_table
from geoplan.planning import plans

#: Where the transcribed tables ship: the package's ``data/shangluo`` folder.
SOURCES = Path(__file__).resolve().parents[2] / "data" / "shangluo"
SITES_FILE = "shangluo-relocation-cemetery-sites.csv"
COUNTIES_FILE = "shangluo-relocation-cemetery-counties.csv"
COMMUNITY_TYPES_FILE = "shangluo-relocation-community-types.csv"

#: The plan's target: every relocation site provided for by the end of 十四五.
TARGET_SHARE = 1.0

#: Bilingual labels of the coverage table's columns, in print order.
COVERAGE_LABELS = {
    "county": ("县区", "county"),
    "sites": ("搬迁点", "sites"),
    "cemeteries_built": ("已建公墓", "built"),
    "cemeteries_planned": ("拟新(改)建", "planned"),
    "sites_named": ("已列名安排", "named"),
    "sites_named_new": ("其中新建", "new"),
    "sites_named_attach": ("其中挂靠", "attach"),
    "sites_within_radius": ("半径内", "within"),
    "sites_beyond_radius": ("半径外", "beyond"),
    "sites_radius_undetermined": ("半径未定", "undetermined"),
    "sites_unnamed": ("未列名", "unnamed"),
    "provided_share": ("覆盖率", "provided"),
    "gap_sites": ("差距(个)", "gap"),
}


#: The three tables of the transcription: file, text and integer columns, key.
TABLES: dict[str, tuple[str, list[str], list[str], str | None]] = {
    "sites": (
        SITES_FILE,
        [
            "entry_id",
            "county_code",
            "county",
            "town_as_written",
            "site_name",
            "phase",
            "arrangement",
            "arrangement_as_written",
            "target",
            "target_kind",
        ],
        ["group", "source_line"],
        "entry_id",
    ),
    "county_totals": (
        COUNTIES_FILE,
        ["county_code", "county", "level"],
        ["sites", "cemeteries_built", "cemeteries_planned", "source_line"],
        "county_code",
    ),
    "community_types": (
        COMMUNITY_TYPES_FILE,
        ["community_type", "community_type_en"],
        ["sites", "source_line"],
        None,
    ),
}


def load(table: str, folder: Path | None = None) -> pd.DataFrame:
    """
    Load one table of the plan's transcription.

    Parameters
    ----------
    table
        ``"sites"``: one row per named entry (124), indexed by ``entry_id``,
        with county, ``town_as_written``, ``site_name``, ``phase``,
        ``arrangement`` (``new``/``attach``), ``target``, ``target_kind``,
        ``group`` and the seed's ``source_line``. ``"county_totals"``: the
        per-county and city totals exactly as printed, indexed by
        ``county_code``, with ``county``, ``level`` (``county``/``city``),
        ``sites``, ``cemeteries_built``, ``cemeteries_planned`` and
        ``source_line``. ``"community_types"``: the city-level split of sites
        by community type (新建型, 融合型, 挂靠型) with ``sites``.
    folder
        Folder holding the source tables; default :data:`SOURCES`.

    Returns
    -------
    pandas.DataFrame
        The table, typed.

    Raises
    ------
    KeyError
        For a table not in :data:`TABLES`.
    """
    name, text, integers, key = TABLES[table]
    base = Path(folder) if folder is not None else SOURCES
    return read_csv_table(base / name, text=text, integers=integers, key=key)


def plan_tables(sites: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """
    Return the tables the plan's ``relocation_provision`` indicator reads.

    Parameters
    ----------
    sites
        The named entries, e.g. with each site's ``coverage_status``; default
        ``load("sites")``.

    Returns
    -------
    dict
        ``relocation_sites`` and ``relocation_totals``, for
        :class:`geoplan.planning.plans.Layers` ``tables``.
    """
    return {
        "relocation_sites": load("sites") if sites is None else sites,
        "relocation_totals": load("county_totals"),
    }


def coverage_by_county(sites: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """
    Count, per county and for the city, the sites the plan provides for.

    A site counts as provided for only where the table names an arrangement
    for it (new or attached). The table does not say which sites the existing
    cemeteries serve, and a cemetery is not a site, so ``cemeteries_built``
    and ``cemeteries_planned`` are reported beside the counts, never added to
    them.

    Parameters
    ----------
    sites
        Named entries, as from ``load("sites")``.
    totals
        Printed totals, as from ``load("county_totals")``.

    Returns
    -------
    pandas.DataFrame
        One row per county plus a last row for the city (the sum of the
        counties), indexed by code, with ``sites``, ``cemeteries_built``,
        ``cemeteries_planned``, ``sites_named``, ``sites_named_new``,
        ``sites_named_attach``, ``sites_unnamed``, ``provided_share``,
        ``target_share`` and ``gap_sites``.
    """
    county_rows = totals[totals["level"] == "county"]
    arrangement = pd.crosstab(sites["county_code"], sites["arrangement"])
    arrangement = arrangement.reindex(
        index=county_rows.index, columns=["new", "attach"], fill_value=0
    )
    counts = county_rows[["sites", "cemeteries_built", "cemeteries_planned"]].assign(
        sites_named_new=arrangement["new"], sites_named_attach=arrangement["attach"]
    )
    city = totals[totals["level"] == "city"]
    city_code, city_name = (
        (city.index[0], city["county"].iloc[0]) if len(city) else ("total", "合计")
    )
    counts = pd.concat([counts, counts.sum().to_frame(city_code).T]).astype("int64")
    table = counts.assign(
        sites_named=counts["sites_named_new"] + counts["sites_named_attach"]
    )
    table.insert(0, "county", [*county_rows["county"], city_name])
    table["sites_unnamed"] = table["sites"] - table["sites_named"]
    table["provided_share"] = table["sites_named"] / table["sites"]
    table["target_share"] = TARGET_SHARE
    needed = np.ceil(table["sites"] * TARGET_SHARE).astype("int64")
    table["gap_sites"] = (needed - table["sites_named"]).clip(lower=0)
    order = [
        "county",
        "sites",
        "cemeteries_built",
        "cemeteries_planned",
        "sites_named",
        "sites_named_new",
        "sites_named_attach",
        "sites_unnamed",
        "provided_share",
        "target_share",
        "gap_sites",
    ]
    table = table[order]
    table.index.name = "county_code"
    return table


def cemetery_targets(sites: pd.DataFrame) -> pd.DataFrame:
    """
    List the distinct cemeteries the named entries are assigned to.

    Parameters
    ----------
    sites
        Named entries, as from ``load("sites")``.

    Returns
    -------
    pandas.DataFrame
        One row per county, arrangement and target, with ``target_kind``,
        ``sites_assigned`` and the ``entry_ids`` joined by ``;``.
    """
    keys = ["county_code", "county", "arrangement", "target", "target_kind"]
    grouped = sites.reset_index().groupby(keys, sort=False)
    return grouped.agg(
        sites_assigned=("entry_id", "size"), entry_ids=("entry_id", ";".join)
    ).reset_index()


def validation_report(
    sites: pd.DataFrame, totals: pd.DataFrame, community_types: pd.DataFrame
) -> pd.DataFrame:
    """
    Check the transcription against itself and show the seed's inconsistencies.

    The seed is not "fixed": where its numbers disagree (商州 names 6 new-build
    targets against 8 planned; 镇安 23 against 24; 123 sites unnamed) the row
    says ``mismatch`` or ``incomplete``.

    Parameters
    ----------
    sites
        The named entries to check (``load("sites")``).
    totals
        The totals they must add up to (``load("county_totals")``).
    community_types
        City-level split, as from ``load("community_types")``.

    Returns
    -------
    pandas.DataFrame
        Columns ``scope``, ``check``, ``expected``, ``found`` and ``status``
        (``ok``, ``mismatch`` or ``incomplete``).
    """
    rows: list[dict[str, object]] = []

    def add(scope: str, check: str, expected: int, found: int, short: str) -> None:
        status = "ok" if expected == found else short
        rows.append(
            {
                "scope": scope,
                "check": check,
                "expected": expected,
                "found": found,
                "status": status,
            }
        )

    county_rows = totals[totals["level"] == "county"]
    new_targets = sites[sites["arrangement"] == "new"].groupby("county_code")["target"]
    named = sites.groupby("county_code").size()
    for code, row in county_rows.iterrows():
        add(
            row["county"],
            "distinct 新建 targets named = 拟新(改)建 planned",
            int(row["cemeteries_planned"]),
            int(new_targets.nunique().get(code, 0)),
            "mismatch",
        )
        add(
            row["county"],
            "named site entries = 搬迁点 sites",
            int(row["sites"]),
            int(named.get(code, 0)),
            "incomplete",
        )
    for _, city in totals[totals["level"] == "city"].iterrows():
        for column in ("sites", "cemeteries_built", "cemeteries_planned"):
            add(
                city["county"],
                f"sum of counties' {column} = printed total",
                int(city[column]),
                int(county_rows[column].sum()),
                "mismatch",
            )
        add(
            city["county"],
            "新建型 + 融合型 + 挂靠型 = sites",
            int(city["sites"]),
            int(community_types["sites"].sum()),
            "mismatch",
        )
        add(
            city["county"],
            "named site entries = sites",
            int(city["sites"]),
            len(sites),
            "incomplete",
        )
    return pd.DataFrame(rows)


def provision_rows(
    plan: plans.Plan, item: plans.Indicator, layers: plans.Layers
) -> list[dict[str, Any]]:
    """
    Compute the relocation-site cemetery provision indicator, per county.

    Parameters
    ----------
    plan, item
        The plan and its ``relocation_provision`` indicator.
    layers
        With the tables ``relocation_sites`` and ``relocation_totals``.

    Returns
    -------
    list of dict
        Progress rows (:func:`geoplan.planning.plans.progress_row`): each county, then
        the city.
    """
    sites = layers.tables.get("relocation_sites")
    totals = layers.tables.get("relocation_totals")
    if sites is None or totals is None:
        return [
            plans.progress_row(
                plan, item, reason="missing layer: relocation sites and totals"
            )
        ]
    table = coverage_by_county(sites, totals)
    reach = (
        pd.crosstab(sites["county_code"], sites["coverage_status"])
        if "coverage_status" in sites
        else None
    )
    out = []
    for code, row in table.iterrows():
        scope = "all" if code == table.index[-1] else str(code)
        inside = ""
        if reach is not None:
            counts = reach.sum() if scope == "all" else reach.reindex([code]).iloc[0]
            counts = counts.fillna(0).astype(int)
            inside = (
                f"; {counts.get('covered', 0)} within the radius of their assigned "
                f"cemetery for certain, {counts.get('undetermined', 0)} undetermined "
                "(points too coarse to tell)"
            )
        status = (
            plans.STATUS_MET
            if row["gap_sites"] == 0
            else f"short by {row['gap_sites']} units"
        )
        out.append(
            plans.progress_row(
                plan,
                item,
                scope=scope,
                current=round(row["provided_share"] * 100, 2),
                units=int(row["sites"]),
                covered=int(row["sites_named"]),
                gap=int(row["gap_sites"]),
                status=status,
                reason=f"{row['sites_named']} of {row['sites']} sites have a named "
                f"arrangement, {row['sites_unnamed']} unnamed{inside}; a cemetery is "
                "never counted as a covered site",
            )
        )
    return out


plans.register_computation("relocation_provision", provision_rows)
