"""Coverage: who is served, what share, and where the gaps are.

Two views, side by side, as the plans state them:

- **distance** coverage (:func:`distance_coverage`): demand points against
  facilities within a radius, Euclidean or along streets, decided from the
  costs of :mod:`geoplan.access.costs` / :mod:`geoplan.access.network`, never from drawn
  polygons;
- **administrative** coverage (:func:`admin_coverage`, :func:`admin_ratios`):
  the share of units (communities, towns, sites) that have, or are assigned,
  a facility, with explicit denominators.

Results are frames aligned to the input index with unit-suffixed columns.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from geoplan._geometry import has_location
from geoplan.access import modes, presets
from geoplan.access.costs import CostTable, euclidean_costs, to_common_metric
from geoplan.access.network import StreetNetwork, network_costs
from geoplan.errors import ValidationError
from geoplan.places import precision
from geoplan.places.precision import uncertainty_m

logger = logging.getLogger(__name__)

METHODS = ("euclidean", "network")


def _label(reach: float, unit: str = "m") -> str:
    """``1000m`` for metres; ``15min`` for seconds (900)."""
    return f"{reach:g}m" if unit == "m" else f"{reach / 60:g}min"


#: The column of the cost to the nearest facility, by the cost table's unit.
NEAREST_COLUMN = {"m": "dist_to_nearest_m", "s": "time_to_nearest_s"}
#: The type pandas gives text (``str``; ``object`` before pandas 3).
_TEXT = pd.Series(["covered"]).dtype


def _state_names(code: NDArray[np.int8]) -> pd.api.extensions.ExtensionArray | NDArray:
    """Return the states' names, taken by position (no string built per row)."""
    if isinstance(_TEXT, np.dtype):  # object: pandas before 3
        return np.array(precision.STATES, dtype=object)[code]
    return pd.array(pa.array(precision.STATES).take(pa.array(code)), dtype=_TEXT)


def coverage_from_costs(
    costs: CostTable,
    *,
    radius_m: float | None = None,
    limit_s: float | None = None,
    bounds: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    uncertainty: NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    """
    Decide coverage from a cost table.

    Parameters
    ----------
    costs
        As from :func:`geoplan.access.costs.euclidean_costs` or
        :func:`geoplan.access.network.network_costs`; its ``cutoff_m`` must equal
        `radius_m` for the counts to mean "within the threshold".
    radius_m, limit_s
        The reach: metres for a table in metres, seconds for one in seconds.
    bounds
        The least and the most each demand point's true cost to its nearest
        facility can be, when the points are known only to a unit (see
        :mod:`geoplan.places.precision`); default the measured cost.
    uncertainty
        Each demand point's own ``uncertainty_m``, reported as a column.

    Returns
    -------
    pandas.DataFrame
        Indexed like the demand layer: ``nearest_facility`` (facility index
        label, NA where none), ``dist_to_nearest_m`` or ``time_to_nearest_s``
        (``inf`` unreachable, NaN not located), ``n_within_<t>``,
        ``covered_<t>`` (``<t>`` as ``1000m`` or ``15min``; boolean, NA where
        the point is not located or the answer is undetermined),
        ``coverage_status`` (``covered``, ``not_covered``, ``unreachable``: no
        facility along the network, its cost blank; ``undetermined``,
        ``not_located``) and ``uncertainty_m``, plus any producer columns.
    """
    reach = radius_m if costs.unit == "m" else limit_s
    if reach is None or not math.isclose(costs.cutoff, reach):
        given = "radius_m" if costs.unit == "m" else "limit_s"
        msg = (
            f"The cost table was cut at {costs.cutoff:g} {costs.unit}, not at "
            f"{given}={reach}; give the reach the costs were computed for."
        )
        raise ValueError(msg)
    label = _label(reach, costs.unit)
    found = costs.nearest_pos >= 0
    nearest = np.full(len(costs.demand_index), pd.NA, dtype=object)
    if found.any():
        nearest[found] = np.asarray(
            costs.facility_index.take(costs.nearest_pos[found]), dtype=object
        )
    low, high = bounds if bounds is not None else (costs.nearest, costs.nearest)
    code, state = precision.decide_codes(low, high, reach), precision.STATE_CODE
    nowhere = np.isinf(costs.nearest)  # located, but no facility along the network
    code[nowhere] = state[precision.UNREACHABLE]
    covered = pd.array(code == state[precision.COVERED], dtype="boolean")
    unknown = np.isin(
        code, [state[precision.UNDETERMINED], state[precision.NOT_LOCATED]]
    )
    covered[unknown] = pd.NA
    status = _state_names(code)
    extra = dict(costs.extra)
    other = NEAREST_COLUMN["s" if costs.unit == "m" else "m"]
    beside = {other: extra.pop(other)} if other in extra else {}  # network costs
    table = pd.DataFrame(
        {
            "nearest_facility": nearest,
            NEAREST_COLUMN[costs.unit]: np.where(nowhere, np.nan, costs.nearest),
            **{k: np.where(np.isinf(v), np.nan, v) for k, v in beside.items()},
            f"n_within_{label}": costs.within_count,
            f"covered_{label}": covered,
            "coverage_status": status,
            "uncertainty_m": (
                uncertainty
                if uncertainty is not None
                else np.where(np.isnan(costs.nearest), np.nan, 0.0)
            ),
        },
        index=costs.demand_index,
    )
    for name, values in extra.items():
        table[name] = values
    table.attrs.update(method=costs.method, crs=costs.crs, unit=costs.unit)
    if costs.unit == "m":
        table.attrs["radius_m"] = reach
    else:
        table.attrs["minutes"] = reach / 60
    return table


def distance_coverage(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    radius_m: float | None = None,
    minutes: float | None = None,
    preset: str | None = None,
    method: str | None = None,
    network: StreetNetwork | None = None,
    use_precision: bool = True,
) -> pd.DataFrame:
    """
    Find each demand point's nearest facility and whether it is within reach.

    Where the layers carry a ``precision`` column (as geocoded layers do),
    each point stands for a place within its precision's ``uncertainty_m``
    (:mod:`geoplan.places.precision`): a row is ``covered`` only when even the
    farthest such place is within reach, ``not_covered`` only when even the
    nearest is beyond it, and ``undetermined`` otherwise.

    Parameters
    ----------
    demand
        Demand points (any declared CRS).
    facilities
        Facility points in the same CRS.
    radius_m
        The radius in metres; taken from `preset` when omitted.
    minutes
        Or the reach in minutes of travel along `network` at its mode's
        speeds (walking to the street at its off-network speed); a point's
        location uncertainty counts at that off-network speed.
    preset
        A life-circle preset id (see :func:`geoplan.access.presets.available`), e.g.
        ``"gb50180-15min"`` (1000 m).
    method
        ``"euclidean"`` or ``"network"``; default the preset's method when a
        network is given, else ``"euclidean"``.
    network
        A :class:`geoplan.access.network.StreetNetwork`, needed for ``"network"``.
    use_precision
        Read the layers' ``precision`` columns (default); with False every
        point is taken as exact.

    Returns
    -------
    pandas.DataFrame
        See :func:`coverage_from_costs`; ``attrs`` record the preset, method,
        threshold, metric CRS and the number of ``undetermined`` rows.
    """
    if minutes is not None:
        return _timed_coverage(demand, facilities, minutes, network, use_precision)
    chosen = presets.get(preset) if preset else None
    if radius_m is None:
        if chosen is None:
            msg = "Give `radius_m` or a `preset`."
            raise ValueError(msg)
        radius_m = float(chosen.distance_m)
    if method is None:
        method = "network" if network is not None else "euclidean"
    if method not in METHODS:
        msg = f"`method` must be one of {list(METHODS)}, got {method!r}."
        raise ValueError(msg)
    if method == "network":
        if network is None:
            msg = (
                "method 'network' needs a street network: give --network FILE "
                "(.osm, .osm.bz2 or .osm.pbf), or use the euclidean method."
            )
            raise ValidationError(msg)
        measure: Callable[..., CostTable] = functools.partial(
            network_costs, network=network
        )
    else:
        measure = euclidean_costs
    _refuse_unlocated(demand, facilities)
    u_demand, u_facility = _uncertainties(demand, facilities, use_precision)
    costs, low, high = bounded_costs(
        functools.partial(measure, cutoff_m=radius_m),
        demand,
        facilities,
        u_demand,
        u_facility,
    )
    table = coverage_from_costs(
        costs,
        radius_m=radius_m,
        bounds=(low, high),
        uncertainty=np.where(np.isnan(costs.nearest), np.nan, u_demand.to_numpy(float)),
    )
    table.attrs["preset"] = chosen.id if chosen else None
    table.attrs["undetermined"] = int(
        (table["coverage_status"] == precision.UNDETERMINED).sum()
    )
    return table


def _refuse_unlocated(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> None:
    """Refuse facilities none of which has a location; warn of such demand."""
    if len(facilities) and not has_location(facilities).any():
        msg = (
            f"`facilities`: none of its {len(facilities)} rows has a location, so "
            "no demand point can be decided; check their coordinates or geocode "
            "them first (geoplan geocode)."
        )
        raise ValidationError(msg)
    if len(demand) and not has_location(demand).any():
        logger.warning(
            "`demand`: none of its %d rows has a location; every row is not_located.",
            len(demand),
        )


def _uncertainties(
    demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, use_precision: bool
) -> tuple[pd.Series, pd.Series]:
    """Each point's ``uncertainty_m`` from its precision (0 when not used)."""
    if not use_precision:
        return pd.Series(0.0, index=demand.index), pd.Series(
            0.0, index=facilities.index
        )
    return (
        uncertainty_m(demand, role="demand"),
        uncertainty_m(facilities, role="facilities"),
    )


def _timed_coverage(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    minutes: float,
    network: StreetNetwork | None,
    use_precision: bool,
) -> pd.DataFrame:
    """Coverage within `minutes` of travel along `network`."""
    if network is None:
        msg = (
            "a reach in minutes needs a street network: give --network FILE "
            "(.osm, .osm.bz2 or .osm.pbf) and --mode, or a radius in metres."
        )
        raise ValidationError(msg)
    if not minutes > 0:
        msg = f"minutes must be greater than 0, got {minutes:g}."
        raise ValidationError(msg)
    _refuse_unlocated(demand, facilities)
    speed = modes.get(network.mode).off_network_speed_m_s
    u_demand, u_facility = _uncertainties(demand, facilities, use_precision)
    limit_s = minutes * 60.0
    costs, low, high = bounded_costs(
        functools.partial(network_costs, network=network, cutoff_s=limit_s),
        demand,
        facilities,
        u_demand / speed,  # a place within u metres of its point: u/speed away
        u_facility / speed,
    )
    table = coverage_from_costs(
        costs,
        limit_s=limit_s,
        bounds=(low, high),
        uncertainty=np.where(np.isnan(costs.nearest), np.nan, u_demand.to_numpy(float)),
    )
    table.attrs.update(preset=None, mode=network.mode)
    table.attrs["undetermined"] = int(
        (table["coverage_status"] == precision.UNDETERMINED).sum()
    )
    return table


def bounded_costs(
    measure: Callable[..., CostTable],
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    demand_uncertainty: pd.Series,
    facility_uncertainty: pd.Series,
) -> tuple[CostTable, NDArray[np.float64], NDArray[np.float64]]:
    """
    Measure costs and the range each nearest cost can truly take.

    Facilities are measured one precision class at a time, so that a coarse
    facility far away cannot hide behind a precise one nearby: the least
    true cost is the least over classes of (cost - class uncertainty), the
    most the least of (cost + class uncertainty); the demand point's own
    uncertainty widens both.

    Parameters
    ----------
    measure
        A cost producer with its reach (and network) bound, e.g.
        ``partial(euclidean_costs, cutoff_m=500)`` or
        ``partial(network_costs, network=net, cutoff_s=900)``.
    demand, facilities
        The layers.
    demand_uncertainty, facility_uncertainty
        Per row, how far the place may lie from its point, in the unit of
        the costs (NaN: no point).

    Returns
    -------
    tuple
        The cost table over all facilities (measured points), and the least
        and most true cost per demand point.
    """
    u_f = facility_uncertainty.reindex(facilities.index).fillna(0.0).to_numpy(float)
    u_d = demand_uncertainty.reindex(demand.index).to_numpy(float)
    classes = np.unique(u_f) if len(u_f) else np.array([0.0])
    if len(classes) == 1:
        costs = measure(demand, facilities)
        spread = classes[0] + u_d
        return costs, costs.nearest - spread, costs.nearest + spread
    parts = []
    for value in classes:
        rows = np.flatnonzero(u_f == value)
        parts.append((value, rows, measure(demand, facilities.iloc[rows])))
    stacked = np.vstack([p.nearest for _, _, p in parts])
    best = np.argmin(np.where(np.isnan(stacked), np.inf, stacked), axis=0)
    columns = np.arange(stacked.shape[1])
    nearest = stacked[best, columns]
    positions = np.vstack(
        [np.where(p.nearest_pos >= 0, rows[p.nearest_pos], -1) for _, rows, p in parts]
    )
    first = parts[0][2]
    costs = CostTable(
        demand_index=first.demand_index,
        facility_index=facilities.index,
        nearest_pos=positions[best, columns],
        nearest=nearest,
        cutoff=first.cutoff,
        unit=first.unit,
        within_count=np.sum([p.within_count for _, _, p in parts], axis=0),
        method=first.method,
        crs=first.crs,
        extra={  # per-point columns, and the other cost: nearest over the classes
            k: np.fmin.reduce([p.extra[k] for _, _, p in parts], axis=0)
            if k in NEAREST_COLUMN.values()
            else v
            for k, v in first.extra.items()
        },
    )
    values = np.asarray([v for v, _, _ in parts])[:, None]
    low = np.min(stacked - values, axis=0) - u_d
    high = np.min(stacked + values, axis=0) + u_d
    return costs, low, high


def covered_share(
    table: pd.DataFrame,
    *,
    weights: pd.Series | None = None,
    by: pd.Series | None = None,
) -> pd.DataFrame:
    """
    Summarise a coverage table: covered counts and shares, optionally weighted.

    Demand points without a location are counted apart (``not_located``) and
    left out of the denominators, which are always shown. Undetermined rows
    are counted apart too: ``covered_share`` counts only the rows known to be
    covered, ``covered_share_max`` what the share would be if every
    undetermined row were covered; the truth lies between the two.

    Parameters
    ----------
    table
        A per-demand coverage table, as :func:`distance_coverage` returns it.
    weights
        Population or households per demand point (aligned to the index).
    by
        A unit label per demand point (e.g. county code) to group by.

    Returns
    -------
    pandas.DataFrame
        One row per group (or ``all``): ``demand``, ``not_located``,
        ``undetermined``, ``covered``, ``covered_share``,
        ``covered_share_max``, and with weights ``weight``,
        ``weight_covered``, ``weight_undetermined``, ``weighted_share``,
        ``weighted_share_max``.
    """
    state = table["coverage_status"]
    frame = pd.DataFrame(
        {
            "located": state != precision.NOT_LOCATED,
            "covered": state == precision.COVERED,
            "undetermined": state == precision.UNDETERMINED,
            "group": by if by is not None else "all",
        },
        index=table.index,
    )
    if weights is not None:
        w = weights.reindex(table.index).astype(float).fillna(0.0)
        frame["weight"] = w.where(frame["located"], 0.0)
        frame["weight_covered"] = w.where(frame["covered"], 0.0)
        frame["weight_undetermined"] = w.where(frame["undetermined"], 0.0)
    grouped = frame.groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "demand": grouped.size(),
            "not_located": grouped["located"].apply(lambda s: int((~s).sum())),
            "undetermined": grouped["undetermined"].sum().astype(int),
            "covered": grouped["covered"].sum().astype(int),
        }
    )
    located = out["demand"] - out["not_located"]
    out["covered_share"] = out["covered"] / located
    out["covered_share_max"] = (out["covered"] + out["undetermined"]) / located
    if weights is not None:
        out["weight"] = grouped["weight"].sum()
        out["weight_covered"] = grouped["weight_covered"].sum()
        out["weight_undetermined"] = grouped["weight_undetermined"].sum()
        out["weighted_share"] = out["weight_covered"] / out["weight"]
        out["weighted_share_max"] = (
            out["weight_covered"] + out["weight_undetermined"]
        ) / out["weight"]
    out.index.name = by.name if by is not None and by.name else "group"
    return out


def covered_column(table: pd.DataFrame) -> str:
    """
    Return the name of a coverage table's ``covered_<t>m`` column.

    Parameters
    ----------
    table
        A coverage table with one ``covered_<t>m`` column (as every producer
        of :mod:`geoplan.access.coverage` writes).

    Returns
    -------
    str
        For example ``"covered_1000m"``.
    """
    columns = [c for c in table.columns if c.startswith("covered_")]
    if len(columns) != 1:
        msg = f"Expected one `covered_<t>m` column, found {columns}."
        raise ValidationError(msg)
    return columns[0]


def gaps(
    table: pd.DataFrame,
    *,
    target_share: float,
    weights: pd.Series | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """
    Rank the uncovered demand points and measure the gap to a target share.

    Only rows known to be not covered are ranked; undetermined rows are
    counted in the summary, never called gaps.

    Parameters
    ----------
    table
        As from :func:`distance_coverage`.
    target_share
        The plan's target, e.g. ``0.9`` for 90%.
    weights
        Population or households per demand point; uncovered points are
        ranked by it (largest first), then by distance.

    Returns
    -------
    tuple
        The uncovered rows ranked (with ``rank`` and ``weight``), and a
        summary: ``covered_share`` (rows known to be covered),
        ``target_share``, ``undetermined`` (rows), ``gap_units`` (points to
        cover to reach the target if no undetermined row is covered),
        ``gap_units_min`` (if every undetermined row is) and, with weights,
        ``gap_weight``.
    """
    if not 0 <= target_share <= 1:
        msg = f"`target_share` must be between 0 and 1, got {target_share!r}."
        raise ValueError(msg)
    state = table["coverage_status"]
    located = table[state != precision.NOT_LOCATED]
    uncovered = table[state.isin([precision.NOT_COVERED, precision.UNREACHABLE])].copy()
    w = (
        weights.reindex(located.index).astype(float).fillna(0.0)
        if weights is not None
        else pd.Series(1.0, index=located.index)
    )
    uncovered["weight"] = w.reindex(uncovered.index)
    farthest = next(c for c in NEAREST_COLUMN.values() if c in uncovered)
    uncovered = uncovered.sort_values(["weight", farthest], ascending=[False, False])
    uncovered["rank"] = np.arange(1, len(uncovered) + 1)
    n = len(located)
    covered_n = int((state == precision.COVERED).sum())
    undetermined_n = int((state == precision.UNDETERMINED).sum())
    needed = math.ceil(target_share * n - 1e-9)
    summary = {
        "covered_share": covered_n / n if n else float("nan"),
        "target_share": target_share,
        "undetermined": float(undetermined_n),
        "gap_units": float(max(0, needed - covered_n)),
        "gap_units_min": float(max(0, needed - covered_n - undetermined_n)),
    }
    if weights is not None:
        total = float(w.sum())
        covered_w = float(w[state.reindex(located.index) == precision.COVERED].sum())
        summary["gap_weight"] = max(0.0, target_share * total - covered_w)
    return uncovered, summary


def admin_coverage(
    units: pd.DataFrame,
    facilities: pd.DataFrame | None = None,
    *,
    unit_code: str = "code",
    facility_unit_code: str | None = None,
    assignments: Mapping[str, str] | None = None,
    exclude: pd.Series | None = None,
    exclude_rule: str = "",
) -> pd.DataFrame:
    """
    Decide, per administrative unit, whether it has or is assigned a facility.

    A unit is covered when a facility lies inside its polygon (spatial join,
    when both layers have geometry and no `facility_unit_code` is given), when
    a facility carries its code (`facility_unit_code`), or when an explicit
    assignment (挂靠) names a covered unit for it.

    Parameters
    ----------
    units
        The units: a code column and, for spatial joins, polygons.
    facilities
        The facilities (points, or rows with a unit code).
    unit_code
        The code column of `units`.
    facility_unit_code
        The column of `facilities` naming the unit each belongs to.
    assignments
        ``{unit code: host unit code}``: the unit is served by the host's
        facility (e.g. a site 挂靠 a village's cemetery).
    exclude
        Boolean per unit: units left out of the denominator (e.g. statistical
        pseudo-units); they stay in the output with ``counted = False``.
    exclude_rule
        The rule behind `exclude`, recorded in ``attrs["exclude_rule"]``.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``units.index``: ``n_facilities``, ``covered`` and
        ``covered_by`` (``inside``/``code``/``assigned``/``""``), ``counted``.
    """
    codes = units[unit_code].astype(str)
    n_fac = pd.Series(0, index=units.index, dtype="int64")
    how = pd.Series("", index=units.index, dtype="object")
    if facilities is not None and len(facilities):
        if facility_unit_code is not None:
            per_code = facilities[facility_unit_code].astype(str).value_counts()
            n_fac = codes.map(per_code).fillna(0).astype("int64")
            how[n_fac > 0] = "code"
        else:
            n_fac = _facilities_inside(units, facilities)
            how[n_fac > 0] = "inside"
    if assignments:
        covered_codes = set(codes[n_fac > 0])
        host = codes.map(dict(assignments))
        assigned = (n_fac == 0) & host.isin(covered_codes)
        how[assigned] = "assigned"
    counted = (
        ~exclude.reindex(units.index).fillna(False).astype(bool)
        if exclude is not None
        else pd.Series(True, index=units.index)
    )
    out = pd.DataFrame(
        {
            "n_facilities": n_fac,
            "covered": how != "",
            "covered_by": how,
            "counted": counted,
        },
        index=units.index,
    )
    out.attrs["exclude_rule"] = exclude_rule
    return out


def _facilities_inside(units: pd.DataFrame, facilities: pd.DataFrame) -> pd.Series:
    if not isinstance(units, gpd.GeoDataFrame) or not isinstance(
        facilities, gpd.GeoDataFrame
    ):
        msg = (
            "Spatial admin coverage needs unit polygons and facility points; "
            "otherwise give `facility_unit_code`."
        )
        raise ValidationError(msg)
    if (
        units.crs is None
        or facilities.crs is None
        or not units.crs.equals(facilities.crs)
    ):
        msg = (
            f"`units` ({units.crs}) and `facilities` ({facilities.crs}) must declare "
            "the same CRS; a mismatch would silently join nothing."
        )
        raise ValidationError(msg)
    joined = gpd.sjoin(
        facilities[["geometry"]], units[["geometry"]], predicate="within", how="inner"
    )
    counts = joined["index_right"].value_counts()
    return counts.reindex(units.index, fill_value=0).astype("int64")


def admin_ratios(
    coverage: pd.DataFrame, *, by: pd.Series, names: pd.Series | None = None
) -> pd.DataFrame:
    """
    Ratio of covered units per parent unit, with explicit denominators.

    Parameters
    ----------
    coverage
        As from :func:`admin_coverage`.
    by
        Parent code per unit (e.g. the county code of each town).
    names
        Optional parent names indexed by parent code.

    Returns
    -------
    pandas.DataFrame
        Per parent: ``units`` (counted), ``excluded``, ``covered``,
        ``covered_share`` and ``label`` (e.g. ``"12 of 13"``).
    """
    frame = coverage.assign(parent=by.reindex(coverage.index))
    grouped = frame.groupby("parent", sort=True)
    out = pd.DataFrame(
        {
            "units": grouped["counted"].sum().astype(int),
            "excluded": grouped["counted"].apply(lambda s: int((~s).sum())),
            "covered": grouped.apply(
                lambda g: int((g["covered"] & g["counted"]).sum()), include_groups=False
            ),
        }
    )
    out["covered_share"] = out["covered"] / out["units"].where(out["units"] > 0)
    out["label"] = out["covered"].astype(str) + " of " + out["units"].astype(str)
    if names is not None:
        out.insert(0, "name", names.reindex(out.index))
    out.attrs["exclude_rule"] = coverage.attrs.get("exclude_rule", "")
    return out


def assigned_distance(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    assignment: pd.Series,
) -> pd.Series:
    """
    Measure the straight-line distance from each demand point to its facility.

    For plans that name the facility each unit uses (a site 挂靠 a village's
    cemetery) rather than leaving it to the nearest one.

    Parameters
    ----------
    demand
        Demand points.
    facilities
        Facility points in the same CRS, indexed by the labels `assignment` uses.
    assignment
        Facility label per demand point (NA for none).

    Returns
    -------
    pandas.Series
        ``dist_to_assigned_m`` aligned to ``demand.index``; NaN where the
        demand point, its facility or the assignment is missing.
    """
    demand_m, facilities_m = to_common_metric(demand, facilities)
    targets = facilities_m.geometry.reindex(assignment.reindex(demand.index).to_numpy())
    targets.index = demand.index
    distance = demand_m.geometry.distance(targets)
    missing = targets.isna() | demand_m.geometry.isna() | demand_m.geometry.is_empty
    return distance.where(~missing).rename("dist_to_assigned_m")
