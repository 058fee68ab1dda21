"""The five 十四五 plans as data, and progress against their targets.

Each plan is a TOML file in ``geoplan/data/plans`` (or any path): every
quantitative facility indicator with its Chinese text, category, unit of
denominator, baseline, target, 约束性/预期性, source line and how it is
computed. Contradictory variants stay side by side (``variant_group``).

:func:`evaluate` computes what the layers given allow: administrative
ratios (covered units / units, per county and for the jurisdiction), counts,
and the relocation-site cemetery provision. Every other indicator says, in
one line, why it cannot be computed. Nothing is reported as met by default.
"""

from __future__ import annotations

import importlib.resources
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Self

import pandas as pd
from pydantic import Field, model_validator

from geoplan import _cases
from geoplan._geometry import lonlat_points
from geoplan._models import FileModel, one_of, validate
from geoplan.access import coverage, presets
from geoplan.access.network import StreetNetwork
from geoplan.errors import ValidationError
from geoplan.io._io import read_toml
from geoplan.places import precision
from geoplan.places.gazetteer import LEVEL_DIGITS
from geoplan.planning import categories

REASONS = {
    "not_spatial": "not a spatial indicator (money, people or procedure)",
    "share_of_beds": "needs bed counts per institution, not locations",
    "per_1000": "needs older-population counts per unit",
    "not_computable": "the plan does not state a computable denominator or measure",
}
STATUS_MET = "met"
STATUS_NOT_COMPUTABLE = "not computable"


#: Computations every plan may use; bundled cases add theirs (``data/cases.toml``).
COMPUTATIONS = (
    "admin_ratio",
    "reach_share",
    "count",
    "share_of_beds",
    "per_1000",
    "not_computable",
    "not_spatial",
)


def computations() -> list[str]:
    """
    Return the computations a plan file's indicators may name.

    Returns
    -------
    list of str
        :data:`COMPUTATIONS`, then those of the bundled cases.
    """
    return [*COMPUTATIONS, *_cases.computations()]


class Figure(FileModel):
    """A baseline or a target as the plan prints it."""

    year: int | None = None
    value: float | None = None
    comparison: str = ""
    text: str = ""
    printed: str = ""


class Indicator(FileModel):
    """One quantitative indicator of a plan, as printed."""

    id: str
    text_zh: str
    name_en: str
    unit: str
    source_lines: str
    computation: Annotated[str, one_of(computations)]
    table: str = ""
    category: str = ""
    denominator: str = ""
    baseline: Figure = Figure()
    target: Figure = Figure()
    attribute: str = ""
    note: str = ""
    variant_group: str = ""
    preset: Annotated[str, one_of(presets.available)] | None = None

    @property
    def target_value(self) -> float | None:
        """
        The numeric target (absolute; ``+N`` targets add the baseline).

        Returns
        -------
        float | None
            The target value, or None when the plan prints none.
        """
        value = self.target.value
        if value is None:
            return None
        if self.target.comparison == "+":
            return float(self.baseline.value or 0) + float(value)
        return float(value)

    def printed(self, which: str) -> str:
        """
        Return the baseline or target as the plan prints it.

        Parameters
        ----------
        which
            ``"baseline"`` or ``"target"``.

        Returns
        -------
        str
            The printed text, or the comparison and value, or ``""``.
        """
        cell = self.baseline if which == "baseline" else self.target
        if cell.printed:
            return cell.printed
        if cell.value is not None:
            value = cell.value
            shown = str(int(value)) if value.is_integer() else f"{value:g}"
            return cell.comparison + shown
        return cell.text


@dataclass(frozen=True)
class Plan:
    """A plan: its identity and indicators."""

    id: str
    name_zh: str
    name_en: str
    jurisdiction_code: str
    seed: str
    indicators: tuple[Indicator, ...]
    issued: str = ""

    def indicator(self, indicator_id: str) -> Indicator:
        """
        Return one indicator by id.

        Parameters
        ----------
        indicator_id
            For example ``"S47"``.

        Returns
        -------
        Indicator
            The indicator.
        """
        for item in self.indicators:
            if item.id == indicator_id:
                return item
        msg = f"Plan {self.id!r} has no indicator {indicator_id!r}."
        raise ValidationError(msg)


def available() -> list[str]:
    """
    List the bundled plans.

    Returns
    -------
    list of str
        Plan ids (file stems).
    """
    folder = importlib.resources.files("geoplan") / "data" / "plans"
    return sorted(
        p.name.removesuffix(".toml")
        for p in folder.iterdir()
        if p.name.endswith(".toml")
    )


def load(name_or_path: str | Path) -> Plan:
    """
    Load a plan file and validate it.

    Parameters
    ----------
    name_or_path
        A bundled plan id (``"shangluo"``) or a path to a TOML file.

    Returns
    -------
    Plan
        The plan.

    Raises
    ------
    ValidationError
        Listing every problem of the file at once.
    """
    path = Path(name_or_path)
    if path.suffix != ".toml":
        if str(name_or_path) not in available():
            msg = f"No plan {name_or_path!r}; bundled: {', '.join(available())}."
            raise ValidationError(msg)
        text = (
            importlib.resources.files("geoplan")
            / "data"
            / "plans"
            / f"{name_or_path}.toml"
        ).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    else:
        data = read_toml(path, what="plan file")
    plan = validate(_PlanFile, data, source=str(name_or_path))
    return Plan(**plan.plan.model_dump(), indicators=tuple(plan.indicators))


class _PlanInfo(FileModel):
    """``[plan]``: the plan's identity."""

    id: str
    name_zh: str
    name_en: str
    jurisdiction_code: str
    seed: str
    issued: str = ""


class _PlanFile(FileModel):
    """A plan file: ``[plan]`` and its ``[[indicators]]``."""

    plan: _PlanInfo
    indicators: list[Indicator] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems, seen = [], set()
        for item in self.indicators:
            if item.id in seen:
                problems.append(f"duplicate indicator id {item.id!r}")
            seen.add(item.id)
            if item.category:
                try:
                    categories.category(item.category)
                except KeyError as exc:
                    problems.append(f"{item.id}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass
class Layers:
    """
    What an evaluation can use.

    Attributes
    ----------
    units
        Units with ``code``, ``name``, ``unit_type`` (a registered unit type id)
        and ``county_code``; e.g. the towns of a district from the gazetteer.
    facilities
        Facilities with ``category`` (id or Chinese name) and ``unit_code``
        (the unit each lies in or serves), or a per-unit status table with
        ``unit_code``, ``category`` and ``count``.
    tables
        Further tables by name, for computations a case registers with
        :func:`register_computation` (e.g. a plan's own site list and totals).
    network
        A street network: life circles (``reach_share``) are then measured
        in minutes of travel along it, else by the preset's distance.
    """

    units: pd.DataFrame | None = None
    facilities: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    network: StreetNetwork | None = None


ROW = [
    "plan",
    "indicator",
    "text_zh",
    "unit",
    "attribute",
    "scope",
    "baseline",
    "target",
    "current",
    "denominator_units",
    "covered_units",
    "gap",
    "status",
    "reason",
    "source_lines",
    "variant_group",
]


#: How a bundled case computes one kind of indicator: the progress rows.
Compute = Callable[[Plan, Indicator, "Layers"], list[dict[str, Any]]]
#: Computations bundled cases contribute, by name.
CASE_COMPUTATIONS: dict[str, Compute] = {}


def register_computation(name: str, compute: Compute) -> None:
    """
    Let a bundled case compute one kind of indicator (plans import no case).

    Parameters
    ----------
    name
        The indicator's ``computation``, one a case declares in
        ``geoplan/data/cases.toml``.
    compute
        Returns the progress rows (see :func:`progress_row`) of an indicator.
    """
    if name not in computations():
        msg = f"unknown computation {name!r}; known: {computations()}"
        raise ValueError(msg)
    CASE_COMPUTATIONS[name] = compute


def evaluate(plan: Plan, layers: Layers) -> pd.DataFrame:
    """
    Compute every indicator the layers allow; say why for the others.

    Parameters
    ----------
    plan
        The plan.
    layers
        The units, facilities and tables available.

    Returns
    -------
    pandas.DataFrame
        One row per indicator and scope (each county, then the jurisdiction
        ``all``), with ``current``, ``target``, ``gap`` and ``status`` (``met``,
        ``short by N units``/``short by N``, or ``not computable``) and a
        ``reason`` for every row that is not computed.
    """
    rows: list[dict[str, Any]] = []
    for item in plan.indicators:
        if item.computation == "admin_ratio":
            rows += _admin_ratio(plan, item, layers)
        elif item.computation == "reach_share":
            rows += _reach_share(plan, item, layers)
        elif item.computation == "count":
            rows += _count(plan, item, layers)
        elif item.computation in CASE_COMPUTATIONS:
            rows += CASE_COMPUTATIONS[item.computation](plan, item, layers)
        elif item.computation in REASONS:
            rows.append(
                progress_row(
                    plan,
                    item,
                    reason=REASONS[item.computation]
                    + (f"; {item.note}" if item.note else ""),
                )
            )
        else:  # a case's computation whose module was never imported
            reason = f"{item.computation} is computed by a bundled case's module"
            rows.append(progress_row(plan, item, reason=reason))
    table = pd.DataFrame(rows, columns=ROW)
    return table.astype({"denominator_units": "Int64", "covered_units": "Int64"})


UNIT_STATUS_COLUMNS = [
    "indicator",
    "unit_code",
    "unit_name",
    "unit_type",
    "county_code",
    "facilities",
    "has_one",
]


def unit_status(plan: Plan, layers: Layers) -> pd.DataFrame:
    """
    List, for every ratio of units (administrative or life circle), each unit.

    This is the gap list behind a "share of units" figure: the units still
    without the facility are where to build next.

    Parameters
    ----------
    plan
        The plan.
    layers
        The units and facilities, as for :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        :data:`UNIT_STATUS_COLUMNS`: one row per indicator and unit, with the
        number of facilities in the unit (within reach, for a life circle) and
        whether it has one (NA where the unit's point is too coarse to tell);
        empty when the layers allow no such indicator.
    """
    frames = []
    for item in plan.indicators:
        if item.computation == "reach_share":
            reached = _reach_table(item, layers)
            if isinstance(reached, str):
                continue
            units, table, _ = reached
            counts = table.filter(like="n_within_").iloc[:, 0].fillna(0)
            decided = ~table["coverage_status"].isin(OPEN_STATES)
            has_one = pd.array(
                table["coverage_status"] == precision.COVERED, dtype="boolean"
            )
            has_one[~decided.to_numpy()] = pd.NA  # undetermined: neither
        else:
            found = (
                _unit_counts(item, layers) if item.computation == "admin_ratio" else ""
            )
            if isinstance(found, str):
                continue
            units, counts, _ = found
            has_one = pd.array(counts > 0, dtype="boolean")
        frames.append(
            pd.DataFrame(
                {
                    "indicator": item.id,
                    "unit_code": units["code"].to_numpy(),
                    "unit_name": units["name"].to_numpy(),
                    "unit_type": units["unit_type"].to_numpy(),
                    "county_code": units["county_code"].to_numpy(),
                    "facilities": counts.to_numpy(),
                    "has_one": has_one,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=UNIT_STATUS_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def without_one(units: pd.DataFrame) -> pd.Series:
    """
    Return the mask of :func:`unit_status` rows known to lack the facility.

    Parameters
    ----------
    units
        Rows of :func:`unit_status`.

    Returns
    -------
    pandas.Series
        True where ``has_one`` is False; an undetermined unit (NA) is not.
    """
    return units["has_one"].eq(False).fillna(False).astype(bool)


def progress_row(  # noqa: PLR0913
    plan: Plan,
    item: Indicator,
    *,
    scope: str = "all",
    current: float | None = None,
    units: int | None = None,
    covered: int | None = None,
    gap: float | None = None,
    status: str = STATUS_NOT_COMPUTABLE,
    reason: str = "",
) -> dict[str, Any]:
    """
    Return one row of a progress table (see :func:`evaluate`).

    Parameters
    ----------
    plan, item
        The plan and the indicator.
    scope
        ``"all"`` for the jurisdiction, or a unit code.
    current, units, covered, gap
        The value reached, the denominator, the units with one, the gap.
    status
        ``met``, ``short by …`` or ``not computable``.
    reason
        Why, in words.

    Returns
    -------
    dict
        The row.
    """
    return {
        "plan": plan.id,
        "indicator": item.id,
        "text_zh": item.text_zh,
        "unit": item.unit,
        "attribute": item.attribute,
        "scope": scope,
        "baseline": item.printed("baseline"),
        "target": item.printed("target"),
        "current": current,
        "denominator_units": units,
        "covered_units": covered,
        "gap": gap,
        "status": status,
        "reason": reason,
        "source_lines": item.source_lines,
        "variant_group": item.variant_group,
    }


#: ``status`` values of facilities not yet serving (planned, being built, built but
#: not in use): they are not counted in a current value.
PLANNED = frozenset(
    {"planned", "规划", "拟建", "计划", "在建", "under_construction", "not_in_use",
     "未投入使用"}
)  # fmt: skip


def _facilities_of(
    item: Indicator, facilities: pd.DataFrame, *, planned: bool = False
) -> pd.DataFrame:
    """Return the facilities of the indicator's category: there, or planned."""
    wanted = categories.category(item.category).id
    ids = facilities["category"].map(lambda c: categories.category(c).id)
    chosen = facilities[ids == wanted]
    if "status" in chosen:
        is_planned = chosen["status"].astype(str).str.strip().isin(PLANNED)
        chosen = chosen[is_planned if planned else ~is_planned]
    elif planned:
        chosen = chosen.iloc[:0]
    if "count" not in chosen:
        chosen = chosen.assign(count=1)
    return chosen


def _in_units(facilities: pd.DataFrame, unit_type: str) -> pd.DataFrame:
    """Give each facility the code of the unit of `unit_type` it lies in.

    A facility placed in a village lies in that village (a community
    indicator) and in its town (a township indicator); codes of units the
    gazetteer cannot build are taken as they are.
    """
    if unit_type not in UNIT_LEVELS:
        return facilities
    digits = LEVEL_DIGITS[UNIT_LEVELS[unit_type]]
    codes = facilities["unit_code"].fillna("").astype(str).str.strip()
    return facilities.assign(unit_code=codes.str[:digits].str.ljust(12, "0"))


def _unit_type_id(item: Indicator) -> str:
    """Return the registered unit type of the indicator's denominator ("" if none)."""
    try:
        return categories.unit_type(item.denominator).id if item.denominator else ""
    except KeyError:
        return ""


def _unit_counts(
    item: Indicator, layers: Layers
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame] | str:
    """Return the indicator's units, facilities per unit and facilities; or why not."""
    wanted = _unit_type_id(item)
    if not wanted:
        return f"denominator {item.denominator!r} is not a unit type geoplan can build"
    if layers.units is None or not (layers.units["unit_type"] == wanted).any():
        if wanted not in UNIT_LEVELS:
            why = f"no source builds {wanted} units"
        elif UNIT_LEVELS[wanted] == "village":
            why = "the gazetteer holds no villages or communities here yet"
        else:
            why = "none among the units given (leave out --units-from to build all)"
        return (
            f"missing layer: units of type {wanted} ({item.denominator}): {why}; "
            "give them with --units FILE"
        )
    if layers.facilities is None:
        return f"missing layer: facilities ({item.category})"
    units = layers.units[layers.units["unit_type"] == wanted]
    chosen = _in_units(_facilities_of(item, layers.facilities), wanted)
    if chosen.empty and _facilities_of(item, layers.facilities, planned=True).empty:
        return f"missing layer: no {item.category} facilities in the list given"
    present = chosen.groupby("unit_code")["count"].sum()
    return units, units["code"].map(present).fillna(0), chosen


def _admin_ratio(plan: Plan, item: Indicator, layers: Layers) -> list[dict[str, Any]]:
    target = item.target_value
    if target is None:
        return [progress_row(plan, item, reason="the plan prints no numeric target")]
    found = _unit_counts(item, layers)
    if isinstance(found, str):
        return [progress_row(plan, item, reason=found)]
    units, counts, chosen = found
    wanted = units["unit_type"].iloc[0]
    covered = counts > 0
    outside = chosen.loc[~chosen["unit_code"].isin(units["code"]), "count"].sum()
    assert layers.facilities is not None  # checked by _unit_counts
    planned = set(
        _in_units(_facilities_of(item, layers.facilities, planned=True), wanted)[
            "unit_code"
        ]
    )
    out = []
    for scope, group in [*units.groupby("county_code"), ("all", units)]:
        n = len(group)
        hit = int(covered.loc[group.index].sum())
        note = (
            f"; {outside:g} {item.category} facilities lie in no {wanted} unit "
            "of the list (unplaced, or outside it) and are not counted"
            if scope == "all" and outside
            else ""
        ) + _planned_note(planned, set(chosen["unit_code"]), group)
        reason = f"{hit} of {n} {wanted} units have one{note}{_as_of(group)}"
        out.append(_ratio_row(plan, item, scope, (n, hit, 0), target, reason))
    return out


def _as_of(units: pd.DataFrame) -> str:
    """Say which list the units come from (a plan's own counts may be older)."""
    if "vintage" not in units:
        return ""
    dates = sorted({str(v) for v in units["vintage"].dropna() if str(v)})
    return f"; units as listed on {', '.join(dates)}" if dates else ""


def _ratio_row(
    plan: Plan,
    item: Indicator,
    scope: object,
    counts: tuple[int, int, int],
    target: float,
    reason: str,
) -> dict[str, Any]:
    """Make a ratio's progress row from its units, those with one, those open."""
    n, hit, open_ = counts
    needed = math.ceil(target / 100 * n - 1e-9)
    gap = max(0, needed - hit - open_)
    if hit >= needed:
        status = STATUS_MET
    elif gap:
        status = f"short by {gap} units"
    else:
        status = f"undetermined: {open_} units placed too coarsely to tell"
    return progress_row(
        plan,
        item,
        scope=str(scope),
        current=round(100 * hit / n, 2) if n else math.nan,
        units=n,
        covered=hit,
        gap=gap,
        status=status,
        reason=reason,
    )


def _reach_table(
    item: Indicator, layers: Layers
) -> tuple[pd.DataFrame, pd.DataFrame, str] | str:
    """Return the units, each one's coverage and the reach in words; or why not."""
    found = _unit_counts(item, layers)
    if isinstance(found, str):
        return found
    units, _, chosen = found
    missing = [c for c in ("lon", "lat") if c not in units or c not in chosen]
    if missing:
        return "needs units and facilities with points (lon/lat, or names to geocode)"
    preset = presets.get(item.preset or "gb50180-15min")
    points = lonlat_points(units, ["precision"]), lonlat_points(chosen, ["precision"])
    if layers.network is not None and preset.minutes is not None:
        table = coverage.distance_coverage(
            *points, minutes=preset.minutes, network=layers.network
        )
        reach = (
            f"{preset.minutes:g} minutes by {layers.network.mode} along "
            f"{layers.network.source} ({preset.id}: {preset.name_zh})"
        )
    else:
        table = coverage.distance_coverage(*points, preset=preset.id)
        walk = f", read for {preset.minutes:g} minutes' walk" if preset.minutes else ""
        reach = (
            f"{preset.distance_m:g} m in a straight line ({preset.id}: "
            f"{preset.name_zh}{walk})"
        )
    return units, table, reach


def _reach_share(plan: Plan, item: Indicator, layers: Layers) -> list[dict[str, Any]]:
    """Share of units within the preset's reach of a facility (a life circle).

    Units and facilities are measured from their points; a unit or facility
    placed too coarsely to tell is undetermined, never "not covered", and the
    share is reported as the range it lies in.
    """
    target = item.target_value
    found = _reach_table(item, layers) if target is not None else "no numeric target"
    if isinstance(found, str):
        return [progress_row(plan, item, reason=found)]
    assert target is not None
    units, table, reach = found
    status = table["coverage_status"]
    wanted = units["unit_type"].iloc[0]
    out = []
    for scope, group in [*units.groupby("county_code"), ("all", units)]:
        n = len(group)
        hit = int((status.loc[group.index] == precision.COVERED).sum())
        open_ = int(status.loc[group.index].isin(OPEN_STATES).sum())
        low, high = (100 * hit / n, 100 * (hit + open_) / n) if n else (math.nan,) * 2
        reason = (
            f"{hit} of {n} {wanted} units within {reach} of one; {open_} "
            "undetermined (points too coarse for the distance), so the share "
            f"lies between {low:.1f}% and {high:.1f}%{_as_of(group)}"
        )
        out.append(_ratio_row(plan, item, scope, (n, hit, open_), target, reason))
    return out


#: Coverage states that leave a unit's answer open.
OPEN_STATES = (precision.UNDETERMINED, precision.NOT_LOCATED)


def _planned_note(planned: set[str], there: set[str], units: pd.DataFrame) -> str:
    """Say how many units would have one once the planned facilities are built."""
    codes = set(units["code"])
    if not planned & codes:
        return ""
    either = (planned | there) & codes
    return f"; {len(either)} of {len(units)} once the planned ones are built"


def _count(plan: Plan, item: Indicator, layers: Layers) -> list[dict[str, Any]]:
    target = item.target_value
    if target is None:
        return [progress_row(plan, item, reason="the plan prints no numeric target")]
    if layers.facilities is None:
        return [
            progress_row(
                plan, item, reason=f"missing layer: facilities ({item.category})"
            )
        ]
    chosen = _facilities_of(item, layers.facilities)
    planned = _facilities_of(item, layers.facilities, planned=True)
    if chosen.empty and planned.empty:
        return [
            progress_row(
                plan,
                item,
                reason=f"missing layer: no {item.category} facilities "
                "in the list given",
            )
        ]
    current = float(chosen["count"].sum())
    short = max(0.0, target - current)
    status = STATUS_MET if short == 0 else f"short by {short:g}"
    later = float(planned["count"].sum())
    reason = f"{current:g} {item.category} facilities counted" + (
        f"; {later:g} planned, not counted ({current + later:g} once built)"
        if later
        else ""
    )
    return [
        progress_row(
            plan, item, current=current, gap=short, status=status, reason=reason
        )
    ]


UNIT_LEVELS = {
    "township": "town",
    "town_only": "town",
    "subdistrict": "town",
    "county": "county",
    "community": "village",
    "administrative_village": "village",
    "urban_community": "village",
    "rural_community": "village",
}
#: The statistics bureau's village-level codes (统计用区划代码编制规则): the last
#: three digits 001-199 are residents' committees (居委会, the urban and town
#: communities), 200-399 villagers' committees (村委会, the villages, which the
#: plans count as rural communities); 4xx and above are statistical stand-ins.
COMMITTEE_CODES = {
    "community": (1, 399),
    "urban_community": (1, 199),
    "administrative_village": (200, 399),
    "rural_community": (200, 399),
}
#: How each unit type is cut from the gazetteer's level, for reports.
UNIT_RULES = {
    "town_only": "towns named 镇 (not 乡 or 街道)",
    "subdistrict": "towns named 街道",
    "community": "village-level codes 001-399 (居委会 and 村委会)",
    "urban_community": "codes 001-199 (居委会: city and town communities)",
    "administrative_village": "village-level codes 200-399 (村委会)",
    "rural_community": "village-level codes 200-399 (村委会, the rural communities)",
}


def units_from_gazetteer(gazetteer: Any, code: str, *, unit_type: str) -> pd.DataFrame:
    """
    Build a units table (the denominator) from the gazetteer.

    Statistical pseudo-units (town codes 4xx) are left out; ``subdistrict``
    keeps only 街道.

    Parameters
    ----------
    gazetteer
        A :class:`geoplan.places.gazetteer.Gazetteer`.
    code
        The jurisdiction, e.g. ``"421202"`` (咸安区).
    unit_type
        One of :data:`UNIT_LEVELS`: ``"township"``, ``"town_only"`` (镇),
        ``"subdistrict"`` (街道), ``"county"``, ``"community"`` (居委会 and 村委会),
        ``"urban_community"``, ``"rural_community"`` or ``"administrative_village"``.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``unit_type`` and ``county_code``; ``attrs`` record
        the exclusion rule.
    """
    if unit_type not in UNIT_LEVELS:
        msg = f"`unit_type` must be one of {sorted(UNIT_LEVELS)}, got {unit_type!r}."
        raise ValidationError(msg)
    if UNIT_LEVELS[unit_type] == "village":
        gazetteer.load_villages(code[:2])  # the statistics bureau's, once
    below = gazetteer.children(code, level=UNIT_LEVELS[unit_type])
    below = below[~below["pseudo"] & ~below.index.str.contains("@")]
    if unit_type == "subdistrict":
        below = below[below["name"].str.endswith("街道")]
    elif unit_type == "town_only":
        below = below[below["name"].str.endswith("镇")]
    elif unit_type in COMMITTEE_CODES:
        low, high = COMMITTEE_CODES[unit_type]
        number = below.index.str[9:12].astype(int)
        below = below[(number >= low) & (number <= high)]
    units = pd.DataFrame(
        {
            "code": below.index,
            "name": below["name"].to_numpy(),
            "unit_type": unit_type,
            "county_code": [c[:6] for c in below.index],
            "vintage": below["vintage"].to_numpy(),
            **{k: v.to_numpy() for k, v in gazetteer.placed(below).items()},
        }
    )
    units.attrs["rule"] = "; ".join(
        filter(
            None,
            [
                UNIT_RULES.get(unit_type, ""),
                "statistical pseudo-units (town codes 4xx) excluded",
            ],
        )
    )
    return units


def units_for_plan(gazetteer: Any, plan: Plan) -> pd.DataFrame:
    """
    Build every unit type the plan's ratio indicators count, below its jurisdiction.

    One table for all of them, so that one ``plan check`` computes every
    indicator whose denominator the gazetteer can build (counties, towns and
    streets, 街道 alone, villages and communities); types it cannot build stay
    out, and their indicators say so.

    Parameters
    ----------
    gazetteer
        A :class:`geoplan.places.gazetteer.Gazetteer`.
    plan
        The plan; its ``jurisdiction_code`` is the root.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``unit_type`` and ``county_code``, one row per unit
        and type (a street is a ``township`` and a ``subdistrict``).
    """
    wanted = []
    for item in plan.indicators:
        if item.computation not in ("admin_ratio", "reach_share"):
            continue
        kind = _unit_type_id(item)
        if kind in UNIT_LEVELS and kind not in wanted:
            wanted.append(kind)
    tables = [
        units_from_gazetteer(gazetteer, plan.jurisdiction_code, unit_type=kind)
        for kind in wanted
    ]
    if not tables:
        return pd.DataFrame(columns=["code", "name", "unit_type", "county_code"])
    return pd.concat(tables, ignore_index=True)


def computability(gazetteer: Any, plan: Plan) -> pd.DataFrame:
    """
    Say, per indicator, whether a facility list alone computes it, and why not.

    Parameters
    ----------
    gazetteer
        A :class:`geoplan.places.gazetteer.Gazetteer`, the source of the units.
    plan
        The plan.

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``indicator``, ``computation``, ``denominator``,
        ``units`` (built below the jurisdiction; blank for no denominator),
        ``from_a_list`` (True when a facility list naming the category is
        enough) and ``reason`` (what else it needs, or why it cannot be
        computed).
    """
    units = units_for_plan(gazetteer, plan)
    rows = []
    for item in plan.indicators:
        n: float = math.nan
        reason = ""
        if item.computation in REASONS:
            reason = REASONS[item.computation]
        elif (
            item.computation in ("admin_ratio", "reach_share", "count")
            and item.target_value is None
        ):
            reason = "the plan prints no numeric target"
        elif item.computation in ("admin_ratio", "reach_share"):
            kind = _unit_type_id(item)
            n = float((units["unit_type"] == kind).sum()) if kind else math.nan
            if not kind:
                reason = f"{item.denominator!r} is no unit type geoplan knows"
            elif kind not in UNIT_LEVELS:
                reason = f"no source builds {kind} units ({item.denominator})"
            elif not n:
                reason = (
                    f"the gazetteer holds no {kind} units below "
                    f"{plan.jurisdiction_code}"
                )
        elif item.computation != "count":
            reason = f"needs the case's own tables ({item.computation})"
        rows.append(
            {
                "indicator": item.id,
                "computation": item.computation,
                "denominator": item.denominator,
                "units": n,
                "from_a_list": not reason,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)
