"""Coverage: who is served, what share, and where the gaps are.

Two views, side by side, as the plans state them:

- **distance** coverage (:func:`distance_coverage`): demand points against
  facilities within a radius, Euclidean or along streets, decided from the
  costs of :mod:`geoplan.costs` / :mod:`geoplan.network`, never from drawn
  polygons;
- **administrative** coverage (:func:`admin_coverage`, :func:`admin_ratios`):
  the share of units (communities, towns, sites) that have, or are assigned,
  a facility, with explicit denominators.

Results are frames aligned to the input index with unit-suffixed columns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from . import presets
from .costs import CostTable, euclidean_costs, to_common_metric
from .errors import ValidationError
from .network import network_costs

logger = logging.getLogger(__name__)

METHODS = ("euclidean", "network")


def _label(threshold_m: float) -> str:
    return f"{threshold_m:g}m"


def coverage_from_costs(costs: CostTable, *, threshold_m: float) -> pd.DataFrame:
    """
    Decide coverage from a cost table.

    Parameters
    ----------
    costs
        As from :func:`geoplan.costs.euclidean_costs` or
        :func:`geoplan.network.network_costs`; its ``cutoff_m`` must equal
        `threshold_m` for the counts to mean "within the threshold".
    threshold_m
        The coverage radius in metres.

    Returns
    -------
    pandas.DataFrame
        Indexed like the demand layer: ``nearest_facility`` (facility index
        label, NA where none), ``dist_to_nearest_m`` (``inf`` unreachable,
        NaN not located), ``n_within_<t>m``, ``covered_<t>m`` (boolean; NA
        where the demand point is not located), plus any producer columns.
    """
    if not math.isclose(costs.cutoff_m, threshold_m):
        msg = (
            f"The cost table was cut at {costs.cutoff_m:g} m, not {threshold_m:g} m; "
            "compute costs with `cutoff_m=threshold_m`."
        )
        raise ValueError(msg)
    label = _label(threshold_m)
    located = ~np.isnan(costs.nearest_m)
    found = costs.nearest_pos >= 0
    nearest = np.full(len(costs.demand_index), pd.NA, dtype=object)
    if found.any():
        nearest[found] = np.asarray(
            costs.facility_index.take(costs.nearest_pos[found]), dtype=object
        )
    covered = pd.array(costs.nearest_m <= threshold_m, dtype="boolean")
    covered[~located] = pd.NA
    table = pd.DataFrame(
        {
            "nearest_facility": nearest,
            "dist_to_nearest_m": costs.nearest_m,
            f"n_within_{label}": costs.within_count,
            f"covered_{label}": covered,
        },
        index=costs.demand_index,
    )
    for name, values in costs.extra.items():
        table[name] = values
    table.attrs.update(method=costs.method, crs=costs.crs, threshold_m=threshold_m)
    return table


def distance_coverage(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    threshold_m: float | None = None,
    preset: str | None = None,
    method: str | None = None,
    network: object | None = None,
) -> pd.DataFrame:
    """
    Find each demand point's nearest facility and whether it is within reach.

    Parameters
    ----------
    demand
        Demand points (any declared CRS).
    facilities
        Facility points in the same CRS.
    threshold_m
        The radius in metres; taken from `preset` when omitted.
    preset
        A life-circle preset id (see :func:`geoplan.presets.available`), e.g.
        ``"gb50180-15min"`` (1000 m).
    method
        ``"euclidean"`` or ``"network"``; default the preset's method when a
        network is given, else ``"euclidean"``.
    network
        A :class:`geoplan.network.StreetNetwork`, needed for ``"network"``.

    Returns
    -------
    pandas.DataFrame
        See :func:`coverage_from_costs`; ``attrs`` record the preset, method,
        threshold and metric CRS.
    """
    chosen = presets.get(preset) if preset else None
    if threshold_m is None:
        if chosen is None:
            msg = "Give `threshold_m` or a `preset`."
            raise ValueError(msg)
        threshold_m = float(chosen.distance_m)
    if method is None:
        method = "network" if network is not None else "euclidean"
    if method not in METHODS:
        msg = f"`method` must be one of {list(METHODS)}, got {method!r}."
        raise ValueError(msg)
    if method == "network":
        if network is None:
            msg = "`method='network'` needs a `network`; see network.network_from_osm."
            raise ValueError(msg)
        costs = network_costs(demand, facilities, network, cutoff_m=threshold_m)
    else:
        costs = euclidean_costs(demand, facilities, cutoff_m=threshold_m)
    table = coverage_from_costs(costs, threshold_m=threshold_m)
    table.attrs["preset"] = chosen.id if chosen else None
    return table


def covered_share(
    table: pd.DataFrame,
    *,
    weights: pd.Series | None = None,
    by: pd.Series | None = None,
) -> pd.DataFrame:
    """
    Summarise a coverage table: covered counts and shares, optionally weighted.

    Demand points without a location are counted apart (``not_located``) and
    left out of the denominators, which are always shown.

    Parameters
    ----------
    table
        As from :func:`distance_coverage`.
    weights
        Population or households per demand point (aligned to the index).
    by
        A unit label per demand point (e.g. county code) to group by.

    Returns
    -------
    pandas.DataFrame
        One row per group (or ``all``): ``demand``, ``not_located``,
        ``covered``, ``covered_share``, and with weights ``weight``,
        ``weight_covered``, ``weighted_share``.
    """
    column = covered_column(table)
    flag = table[column]
    frame = pd.DataFrame(
        {
            "located": flag.notna(),
            "covered": flag.fillna(False).astype(bool),
            "group": by if by is not None else "all",
        },
        index=table.index,
    )
    if weights is not None:
        w = weights.reindex(table.index).astype(float).fillna(0.0)
        frame["weight"] = w.where(frame["located"], 0.0)
        frame["weight_covered"] = w.where(frame["covered"], 0.0)
    grouped = frame.groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "demand": grouped.size(),
            "not_located": grouped["located"].apply(lambda s: int((~s).sum())),
            "covered": grouped["covered"].sum().astype(int),
        }
    )
    out["covered_share"] = out["covered"] / (out["demand"] - out["not_located"])
    if weights is not None:
        out["weight"] = grouped["weight"].sum()
        out["weight_covered"] = grouped["weight_covered"].sum()
        out["weighted_share"] = out["weight_covered"] / out["weight"]
    out.index.name = by.name if by is not None and by.name else "group"
    return out


def covered_column(table: pd.DataFrame) -> str:
    """
    Return the name of a coverage table's ``covered_<t>m`` column.

    Parameters
    ----------
    table
        As from :func:`distance_coverage`.

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
        summary: ``covered_share``, ``target_share``, ``gap_units`` (points to
        cover to reach the target) and, with weights, ``gap_weight``.
    """
    if not 0 <= target_share <= 1:
        msg = f"`target_share` must be between 0 and 1, got {target_share!r}."
        raise ValueError(msg)
    column = covered_column(table)
    located = table[table[column].notna()]
    uncovered = located[~located[column].astype(bool)].copy()
    w = (
        weights.reindex(located.index).astype(float).fillna(0.0)
        if weights is not None
        else pd.Series(1.0, index=located.index)
    )
    uncovered["weight"] = w.reindex(uncovered.index)
    uncovered = uncovered.sort_values(
        ["weight", "dist_to_nearest_m"], ascending=[False, False]
    )
    uncovered["rank"] = np.arange(1, len(uncovered) + 1)
    n = len(located)
    covered_n = n - len(uncovered)
    summary = {
        "covered_share": covered_n / n if n else float("nan"),
        "target_share": target_share,
        "gap_units": float(max(0, math.ceil(target_share * n - 1e-9) - covered_n)),
    }
    if weights is not None:
        total = float(w.sum())
        summary["gap_weight"] = max(
            0.0, target_share * total - float(w[located[column].astype(bool)].sum())
        )
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
