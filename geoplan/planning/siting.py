"""Where to build next: the fewest sites, or the best K, to close a coverage gap.

The models read only the coverage seam: a sparse demand × candidate matrix of
"within reach" built from a :class:`~geoplan.access.costs.CostTable` (Euclidean or
network), demand weights, and the demand existing facilities already cover.

- :func:`lscp`: the fewest new sites that bring the covered (weighted) share
  up to a target (set covering with a partial-coverage target);
- :func:`mclp`: the K new sites that cover the most demand (maximal covering);
- :func:`p_median`: the P sites with the least total weighted distance.

They are solved exactly with HiGHS (``highspy``) within a time limit, the
optimality gap reported; :func:`greedy` gives the heuristic answer and the
coverage curve (covered share against the number of new sites).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse

from geoplan.access.costs import CostTable
from geoplan.errors import ValidationError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Coverage:
    """
    Which candidates reach which demand, with weights and what is covered now.

    Attributes
    ----------
    matrix
        Boolean CSR matrix, demand rows × candidate columns.
    weights
        Weight per demand row (population, households; 1 when unweighted).
    covered_now
        Demand rows existing facilities already cover.
    demand_index, candidate_index
        Labels of the rows and columns.
    """

    matrix: sparse.csr_array
    weights: NDArray[np.float64]
    covered_now: NDArray[np.bool_]
    demand_index: pd.Index
    candidate_index: pd.Index

    @property
    def total_weight(self) -> float:
        """
        Total demand weight.

        Returns
        -------
        float
            The sum of ``weights``.
        """
        return float(self.weights.sum())


def coverage_from_costs(
    candidates: CostTable,
    *,
    weights: pd.Series | None = None,
    existing: CostTable | NDArray[np.bool_] | None = None,
    radius_m: float | None = None,
    limit_s: float | None = None,
    demand_uncertainty_m: NDArray[np.float64] | pd.Series | None = None,
    candidate_uncertainty_m: NDArray[np.float64] | pd.Series | None = None,
    off_network_speed_m_s: float | None = None,
) -> Coverage:
    """
    Build the coverage structure from cost tables computed with pairs.

    A candidate reaches a demand point only when it certainly does: when the
    distance plus both points' uncertainty (see :mod:`geoplan.places.precision`) is
    within the radius. Pairs that might or might not be within reach never
    count as covered.

    Parameters
    ----------
    candidates
        Demand × candidate costs with ``pairs`` (``with_pairs=True``), cut at
        least at `radius_m`.
    weights
        Weight per demand point (aligned to the demand index); default 1.
    existing
        What existing facilities already cover: demand × facility costs at
        the same radius (demand within reach counts as covered), or a boolean
        per demand point.
    radius_m
        The service radius, for a table in metres; default
        ``candidates.cutoff``.
    limit_s
        Or the reach in seconds, for a table in seconds
        (``network_costs(..., cutoff_s=...)``); default ``candidates.cutoff``.
    demand_uncertainty_m, candidate_uncertainty_m
        How far each point's place may lie from it (default exact).
    off_network_speed_m_s
        For a table in seconds: the speed at which those metres count (the
        mode's off-network speed, the slowest way to cover them).

    Returns
    -------
    Coverage
        The structure the models read.
    """
    if candidates.pairs is None:
        msg = "The candidate cost table needs pairs: compute it with with_pairs=True."
        raise ValidationError(msg)
    timed = candidates.unit == "s"
    if (radius_m is not None and timed) or (limit_s is not None and not timed):
        msg = (
            f"the cost table is in {'seconds' if timed else 'metres'}: give "
            f"{'limit_s' if timed else 'radius_m'}, not "
            f"{'radius_m' if timed else 'limit_s'}."
        )
        raise ValidationError(msg)
    given = limit_s if timed else radius_m
    radius = candidates.cutoff if given is None else float(given)
    rows, cols, cost = candidates.pairs
    n, m = len(candidates.demand_index), len(candidates.facility_index)
    spread = (
        _per_row(demand_uncertainty_m, n)[rows]
        + _per_row(candidate_uncertainty_m, m)[cols]
    )
    if timed:
        if off_network_speed_m_s is None and spread.any():
            msg = (
                "a table in seconds with uncertain points needs off_network_speed_m_s."
            )
            raise ValidationError(msg)
        spread = spread / (off_network_speed_m_s or 1.0)
    sure = cost + spread <= radius
    matrix = sparse.csr_array(
        (np.ones(int(sure.sum()), dtype=bool), (rows[sure], cols[sure])), shape=(n, m)
    )
    w = (
        np.ones(n)
        if weights is None
        else weights.reindex(candidates.demand_index).fillna(0).to_numpy(float)
    )
    now = np.zeros(n, dtype=bool)
    if isinstance(existing, CostTable):
        now = existing.within_count > 0
    elif existing is not None:
        now = np.asarray(existing, dtype=bool)
    return Coverage(matrix, w, now, candidates.demand_index, candidates.facility_index)


def _per_row(values: NDArray[np.float64] | pd.Series | None, n: int) -> NDArray:
    if values is None:
        return np.zeros(n)
    array = np.asarray(values, dtype=float)
    return np.where(np.isnan(array), np.inf, array)


def restrict(
    cov: Coverage, demand_groups: pd.Series, candidate_groups: pd.Series
) -> Coverage:
    """
    Keep only the pairs whose demand and candidate share a group.

    For example "a village cemetery serves its own town": pass each site's
    town code and each candidate's town code. Demand or candidates without a
    group (blank or missing) keep no pair.

    Parameters
    ----------
    cov
        The coverage structure.
    demand_groups
        A group label per demand row (aligned to ``cov.demand_index``).
    candidate_groups
        A group label per candidate (aligned to ``cov.candidate_index``).

    Returns
    -------
    Coverage
        The same structure with the cross-group pairs removed.
    """
    rows = demand_groups.reindex(cov.demand_index).fillna("").astype(str).to_numpy()
    cols = (
        candidate_groups.reindex(cov.candidate_index).fillna("").astype(str).to_numpy()
    )
    coo = cov.matrix.tocoo()
    keep = (rows[coo.row] == cols[coo.col]) & (rows[coo.row] != "")
    matrix = sparse.csr_array(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=cov.matrix.shape
    )
    logger.info("Kept %d of %d pairs within their groups", keep.sum(), len(keep))
    return Coverage(
        matrix, cov.weights, cov.covered_now, cov.demand_index, cov.candidate_index
    )


@dataclass
class SitingResult:
    """A recommendation: the sites, what they cover, and how good it is."""

    model: str
    selected: list[object]
    objective: float
    covered_share: float
    status: str
    mip_gap: float = 0.0
    new_coverage: pd.Series = field(default_factory=pd.Series)
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)


def _share(cov: Coverage, sites: NDArray[np.int64]) -> tuple[float, NDArray[np.bool_]]:
    reached = cov.covered_now.copy()
    if len(sites):
        reached |= np.asarray(cov.matrix[:, sites].sum(axis=1)).ravel() > 0
    total = cov.total_weight
    return (float(cov.weights[reached].sum() / total) if total else 1.0), reached


def _new_coverage(cov: Coverage, sites: list[int]) -> pd.Series:
    """Weight each chosen site covers that nothing else (existing or chosen) does."""
    out = {}
    for j in sites:
        others = [s for s in sites if s != j]
        _, without = _share(cov, np.asarray(others, dtype=np.int64))
        _, with_it = _share(cov, np.asarray(sites, dtype=np.int64))
        out[cov.candidate_index[j]] = float(cov.weights[with_it & ~without].sum())
    return pd.Series(out, name="newly_covered_weight", dtype=float)


@contextlib.contextmanager
def _native_stdout_to_devnull() -> Iterator[None]:
    """Send what native code prints on file descriptor 1 to /dev/null meanwhile."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no standard output at all: nothing to protect
        yield
        return
    try:
        with Path(os.devnull).open("wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _silent_highs() -> highspy.Highs:
    """
    Return a HiGHS instance that prints nothing.

    HiGHS (1.16) prints its banner from C++ on standard output when the first
    instance is made, before ``output_flag`` can be set; a command's output
    (and ``geoplan -q``) must not carry it.
    """
    with _native_stdout_to_devnull():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _solve(
    cost: NDArray,
    a: sparse.csc_array,
    lower: NDArray,
    upper: NDArray,
    n_int: int,
    *,
    time_limit_s: float,
) -> tuple[NDArray, str, float]:
    h = _silent_highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = cost.astype(float)
    lp.col_lower_ = np.zeros(a.shape[1])
    lp.col_upper_ = np.ones(a.shape[1])
    lp.row_lower_, lp.row_upper_ = lower.astype(float), upper.astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_int + [
        highspy.HighsVarType.kContinuous
    ] * (a.shape[1] - n_int)
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    values = np.asarray(h.getSolution().col_value)
    return values, status, float(h.getInfo().mip_gap)


def _chosen(values: NDArray, m: int) -> list[int]:
    """Positions of the candidates a solution opens (its first `m` columns)."""
    return sorted(np.flatnonzero(values[:m] > 0.5).tolist())


def _covering_model(cov: Coverage) -> tuple[sparse.csc_array, NDArray[np.int64]]:
    """Rows y_i - sum_j a_ij x_j <= 0 for demand not yet covered but coverable."""
    open_rows = np.flatnonzero(~cov.covered_now & (cov.matrix.sum(axis=1) > 0))
    sub = cov.matrix[open_rows]
    n_open = len(open_rows)
    a = sparse.hstack([-sub.astype(float), sparse.identity(n_open, format="csr")])
    return sparse.csc_array(a), open_rows


def mclp(
    cov: Coverage,
    *,
    k: int,
    capacity: NDArray[np.float64] | pd.Series | None = None,
    time_limit_s: float = 60.0,
) -> SitingResult:
    """
    Choose the K new sites that cover the most demand weight.

    Parameters
    ----------
    cov
        The coverage structure.
    k
        Number of new sites.
    capacity
        Weight each candidate can serve (beds, places), aligned to
        ``cov.candidate_index``; demand may then be split between sites.
    time_limit_s
        Solver time limit in seconds.

    Returns
    -------
    SitingResult
        ``objective`` = covered weight (existing coverage included); with
        `capacity`, the weight served.
    """
    m = cov.matrix.shape[1]
    if not 0 < k <= m:
        msg = f"`k` must be between 1 and the {m} candidates, got {k}."
        raise ValidationError(msg)
    if capacity is not None:
        return _capacitated(cov, _capacity(cov, capacity), k, None, time_limit_s)
    model = _covering_model(cov)
    n_open = len(model[1])
    sites, status, gap = _solve_covering(
        cov,
        model,
        row=np.concatenate([np.ones(m), np.zeros(n_open)]),
        bounds=(k, k),
        cost=np.concatenate([np.zeros(m), -cov.weights[model[1]]]),
        time_limit_s=time_limit_s,
    )
    share, reached = _share(cov, np.asarray(sites, dtype=np.int64))
    covered = float(cov.weights[reached].sum())
    return _picked("mclp", cov, sites, covered, share, status, gap)


def lscp(
    cov: Coverage,
    *,
    target_share: float = 1.0,
    capacity: NDArray[np.float64] | pd.Series | None = None,
    time_limit_s: float = 60.0,
) -> SitingResult:
    """
    Find the fewest new sites that bring coverage up to a target share.

    Parameters
    ----------
    cov
        The coverage structure.
    target_share
        Covered share of the total weight to reach (existing coverage counts).
    capacity
        Weight each candidate can serve, aligned to ``cov.candidate_index``;
        demand may then be split between sites.
    time_limit_s
        Solver time limit in seconds.

    Returns
    -------
    SitingResult
        ``objective`` = number of new sites; status ``Infeasible`` with the
        reachable share when no set of candidates reaches the target.
    """
    if not 0 < target_share <= 1:
        msg = f"`target_share` must be in (0, 1], got {target_share!r}."
        raise ValidationError(msg)
    m = cov.matrix.shape[1]
    a, open_rows = _covering_model(cov)
    need = target_share * cov.total_weight - cov.weights[cov.covered_now].sum()
    if capacity is not None and need > 1e-9:
        caps = _capacity(cov, capacity)
        most = _capacitated(cov, caps, m, None, time_limit_s)  # every site open
        if most.covered_share + 1e-9 < target_share:
            return SitingResult(
                "lscp", [], float("nan"), most.covered_share, "Infeasible", 0.0
            )
        return _capacitated(cov, caps, None, target_share, time_limit_s)
    reachable, _ = _share(cov, np.arange(m))
    if reachable + 1e-12 < target_share:
        return SitingResult("lscp", [], float("nan"), reachable, "Infeasible", 0.0)
    if need <= 1e-9:
        share, _ = _share(cov, np.array([], dtype=np.int64))
        return SitingResult("lscp", [], 0.0, share, "Optimal", 0.0)
    sites, status, gap = _solve_covering(
        cov,
        (a, open_rows),
        row=np.concatenate([np.zeros(m), cov.weights[open_rows]]),
        bounds=(need - 1e-9, np.inf),
        cost=np.concatenate([np.ones(m), np.zeros(len(open_rows))]),
        time_limit_s=time_limit_s,
    )
    share, _ = _share(cov, np.asarray(sites, dtype=np.int64))
    return _picked("lscp", cov, sites, float(len(sites)), share, status, gap)


def _solve_covering(
    cov: Coverage,
    model: tuple[sparse.csc_array, NDArray[np.int64]],
    *,
    row: NDArray[np.float64],
    bounds: tuple[float, float],
    cost: NDArray[np.float64],
    time_limit_s: float,
) -> tuple[list[int], str, float]:
    """Solve the covering model plus one row over (sites, open demand)."""
    a, open_rows = model
    m = cov.matrix.shape[1]
    full = sparse.vstack([a, sparse.csc_array(row[None, :])]).tocsc()
    lower = np.append(np.full(len(open_rows), -np.inf), bounds[0])
    upper = np.append(np.zeros(len(open_rows)), bounds[1])
    values, status, gap = _solve(cost, full, lower, upper, m, time_limit_s=time_limit_s)
    return _chosen(values, m), status, gap


def _picked(
    name: str,
    cov: Coverage,
    sites: list[int],
    objective: float,
    share: float,
    status: str,
    gap: float,
) -> SitingResult:
    """Report a solved model: the chosen candidates and what each adds."""
    chosen = [cov.candidate_index[j] for j in sites]
    return SitingResult(
        name, chosen, objective, share, status, gap, _new_coverage(cov, sites)
    )


def _capacity(cov: Coverage, capacity: NDArray | pd.Series) -> NDArray[np.float64]:
    if isinstance(capacity, pd.Series):
        capacity = capacity.reindex(cov.candidate_index)
    caps = np.asarray(capacity, dtype=float)
    if caps.shape != (cov.matrix.shape[1],) or not np.all(np.isfinite(caps)):
        msg = (
            f"`capacity` needs one finite number per candidate "
            f"({cov.matrix.shape[1]}); got shape {caps.shape} with "
            f"{int((~np.isfinite(caps)).sum())} missing or infinite."
        )
        raise ValidationError(msg)
    if (caps < 0).any():
        msg = "`capacity` must not be negative."
        raise ValidationError(msg)
    return caps


def _capacitated(
    cov: Coverage,
    caps: NDArray[np.float64],
    k: int | None,
    target_share: float | None,
    time_limit_s: float,
) -> SitingResult:
    """
    Open sites and assign demand to them within reach and capacity.

    Columns: x_j for the m candidates, then y_p in [0, 1] for each pair p of a
    not-yet-covered demand row and a candidate within reach (the share of the
    row's weight that site serves). Rows: each demand row served at most
    once; each site serves at most its capacity, and only when open; then
    either K sites (maximise the weight served) or a served weight of at least
    the target (minimise the sites).
    """
    m = cov.matrix.shape[1]
    open_rows = np.flatnonzero(~cov.covered_now)
    pairs = cov.matrix[open_rows].tocoo()
    n_pairs, w = len(pairs.data), cov.weights[open_rows][pairs.row]
    y = m + np.arange(n_pairs)
    blocks = [
        # sum_j y_ij <= 1
        sparse.csr_array(
            (np.ones(n_pairs), (pairs.row, y)), shape=(len(open_rows), m + n_pairs)
        ),
        # sum_i w_i y_ij - cap_j x_j <= 0
        sparse.csr_array(
            (
                np.concatenate([w, -caps]),
                (
                    np.concatenate([pairs.col, np.arange(m)]),
                    np.concatenate([y, np.arange(m)]),
                ),
            ),
            shape=(m, m + n_pairs),
        ),
        # y_ij - x_j <= 0
        sparse.csr_array(
            (
                np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
                (
                    np.concatenate([np.arange(n_pairs)] * 2),
                    np.concatenate([y, pairs.col]),
                ),
            ),
            shape=(n_pairs, m + n_pairs),
        ),
    ]
    lower = [np.full(len(open_rows) + m + n_pairs, -np.inf)]
    upper = [np.concatenate([np.ones(len(open_rows)), np.zeros(m + n_pairs)])]
    already = float(cov.weights[cov.covered_now].sum())
    if k is not None:
        blocks.append(
            sparse.csr_array(np.concatenate([np.ones(m), np.zeros(n_pairs)])[None, :])
        )
        lower.append(np.array([k]))
        upper.append(np.array([k]))
        cost = np.concatenate([np.zeros(m), -w])
    else:
        need = (target_share or 0) * cov.total_weight - already
        blocks.append(sparse.csr_array(np.concatenate([np.zeros(m), w])[None, :]))
        lower.append(np.array([need - 1e-9]))
        upper.append(np.array([np.inf]))
        cost = np.concatenate([np.ones(m), np.zeros(n_pairs)])
    a = sparse.vstack(blocks).tocsc()
    values, status, gap = _solve(
        cost,
        a,
        np.concatenate(lower),
        np.concatenate(upper),
        m,
        time_limit_s=time_limit_s,
    )
    sites = _chosen(values, m)
    served = (
        np.bincount(pairs.col, weights=w * values[m:], minlength=m)
        if len(values)
        else np.zeros(m)
    )
    total = already + float(served.sum())
    share = total / cov.total_weight if cov.total_weight else 1.0
    model = "mclp" if k is not None else "lscp"
    return SitingResult(
        model,
        [cov.candidate_index[j] for j in sites],
        total if k is not None else float(len(sites)),
        share,
        status,
        gap,
        pd.Series(
            {cov.candidate_index[j]: float(served[j]) for j in sites},
            name="newly_covered_weight",
            dtype=float,
        ),
    )


def p_median(
    distance_m: NDArray[np.float64],
    *,
    p: int,
    weights: NDArray[np.float64] | None = None,
    candidate_index: pd.Index | None = None,
    time_limit_s: float = 60.0,
) -> SitingResult:
    """
    Choose P sites that minimise the total weighted distance (dense, moderate sizes).

    Parameters
    ----------
    distance_m
        Demand × candidate distances in metres (dense).
    p
        Number of sites.
    weights
        Weight per demand row; default 1.
    candidate_index
        Candidate labels.
    time_limit_s
        Solver time limit in seconds.

    Returns
    -------
    SitingResult
        ``objective`` = total weighted distance in metres.
    """
    n, m = distance_m.shape
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    labels = candidate_index if candidate_index is not None else pd.RangeIndex(m)
    # columns: x_j (m), then z_ij row-major (n*m)
    i_idx, j_idx = np.divmod(np.arange(n * m), m)
    z_cols = m + np.arange(n * m)
    assign = sparse.csr_array((np.ones(n * m), (i_idx, z_cols)), shape=(n, m + n * m))
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(n * m), -np.ones(n * m)]),
            (np.concatenate([np.arange(n * m)] * 2), np.concatenate([z_cols, j_idx])),
        ),
        shape=(n * m, m + n * m),
    )
    count = sparse.csr_array(
        (np.ones(m), (np.zeros(m, int), np.arange(m))), shape=(1, m + n * m)
    )
    a = sparse.vstack([assign, link, count]).tocsc()
    lower = np.concatenate([np.ones(n), np.full(n * m, -np.inf), [p]])
    upper = np.concatenate([np.ones(n), np.zeros(n * m), [p]])
    cost = np.concatenate([np.zeros(m), (w[:, None] * distance_m).ravel()])
    values, status, gap = _solve(cost, a, lower, upper, m, time_limit_s=time_limit_s)
    sites = _chosen(values, m)
    total = (
        float((w * distance_m[:, sites].min(axis=1)).sum()) if sites else float("nan")
    )
    return SitingResult(
        "p_median", [labels[j] for j in sites], total, float("nan"), status, gap
    )


def greedy(
    cov: Coverage, *, k: int | None = None, target_share: float | None = None
) -> SitingResult:
    """
    Add, one at a time, the site that newly covers the most weight.

    Stops after `k` sites, or when `target_share` is reached, or when no
    candidate adds coverage. The curve lists the covered share after each site.

    Parameters
    ----------
    cov
        The coverage structure.
    k
        Number of sites (MCLP-like).
    target_share
        Share to reach (LSCP-like).

    Returns
    -------
    SitingResult
        With ``curve``: ``sites`` and ``covered_share`` after each step.
    """
    csc = cov.matrix.tocsc()
    reached = cov.covered_now.copy()
    chosen: list[int] = []
    total = cov.total_weight
    shares = [float(cov.weights[reached].sum() / total) if total else 1.0]
    limit = k if k is not None else cov.matrix.shape[1]
    while len(chosen) < limit:
        if target_share is not None and shares[-1] + 1e-12 >= target_share:
            break
        open_weight = np.where(reached, 0.0, cov.weights)
        gains = csc.T @ open_weight
        gains[chosen] = -1
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        reached |= csc[:, [best]].toarray().ravel()
        shares.append(float(cov.weights[reached].sum() / total))
    curve = pd.DataFrame({"sites": np.arange(len(shares)), "covered_share": shares})
    return SitingResult(
        "greedy",
        [cov.candidate_index[j] for j in chosen],
        float(cov.weights[reached].sum()) if k is not None else float(len(chosen)),
        shares[-1],
        "Heuristic",
        float("nan"),
        _new_coverage(cov, chosen),
        curve,
    )
