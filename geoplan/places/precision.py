"""How precisely a point is known, and what distances it can decide.

A point geocoded to a town stands for a place somewhere in that town. The
registry (``geoplan/data/precision.toml``, with the measurements behind each
figure) gives every precision level an ``uncertainty_m``: how far from the
unit's point the place may lie. :func:`uncertainty_m` reads a layer's
``precision`` column into metres; :func:`decide` turns distances between
uncertain points into ``covered`` / ``not_covered`` / ``undetermined``.

Points without a ``precision`` column (coordinates given in the file) are
taken as exact.
"""

from __future__ import annotations

import functools
import importlib.resources
import tomllib
from typing import Annotated

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from geoplan._models import Model, Text, validate
from geoplan.errors import ValidationError

#: The column geocoded layers carry their precision in.
COLUMN = "precision"

COVERED = "covered"
NOT_COVERED = "not_covered"
UNDETERMINED = "undetermined"
NOT_LOCATED = "not_located"
#: Located, but no facility can be reached along the network (another fragment).
UNREACHABLE = "unreachable"
#: Coverage states of a row, in the order tables and legends show them.
STATES = (COVERED, NOT_COVERED, UNREACHABLE, UNDETERMINED, NOT_LOCATED)
#: Each state's position in :data:`STATES` (:func:`decide_codes`).
STATE_CODE = {state: code for code, state in enumerate(STATES)}
STATE_LABELS = {
    COVERED: ("已覆盖", "covered"),
    NOT_COVERED: ("未覆盖", "not covered"),
    UNREACHABLE: ("不可达", "unreachable"),
    UNDETERMINED: ("未定", "undetermined"),
    NOT_LOCATED: ("未定位", "not located"),
}


class Precision(Model):
    """
    A geocoding precision level.

    Attributes
    ----------
    id
        ``manual``, ``address``, ``village``, ``town``, ``county``, ``city``,
        ``province`` or ``none``.
    name_zh, name_en
        Labels for tables and legends.
    uncertainty_m
        How far from its point the place may lie; None for ``none`` (no point).
    reasoning
        Why this figure (the measurement or the argument).
    """

    id: Text
    name_zh: Text
    name_en: Text
    uncertainty_m: Annotated[float, Field(ge=0)] | None = None
    reasoning: Text

    @property
    def label(self) -> str:
        """
        Return ``"乡镇级 town"``-style bilingual label.

        Returns
        -------
        str
            ``name_zh`` and ``name_en`` joined by a space.
        """
        return f"{self.name_zh} {self.name_en}"


class _Registry(Model):
    """``precision.toml``: the levels, finest first."""

    about: str = ""
    precision: tuple[Precision, ...]


@functools.cache
def registry() -> dict[str, Precision]:
    """
    Return the precision levels, finest first.

    Returns
    -------
    dict
        Id -> :class:`Precision`, from ``geoplan/data/precision.toml``.
    """
    path = importlib.resources.files("geoplan") / "data" / "precision.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    registry = validate(_Registry, data, source="precision.toml")
    return {level.id: level for level in registry.precision}


def get(level: str) -> Precision:
    """
    Return one precision level.

    Parameters
    ----------
    level
        Its id, e.g. ``"town"``.

    Returns
    -------
    Precision
        The level.
    """
    try:
        return registry()[level]
    except KeyError:
        msg = f"unknown precision {level!r}; use one of {list(registry())}."
        raise ValidationError(msg) from None


def uncertainty_m(frame: pd.DataFrame, *, role: str = "layer") -> pd.Series:
    """
    Return how far each row's place may lie from its point, in metres.

    Parameters
    ----------
    frame
        A layer; its ``precision`` column (as :func:`geoplan.places.geocode.geocode`
        writes it) is read when present. Rows without a value, and layers
        without the column, are taken as exact (0 m).
    role
        What the layer is (a file name or ``"demand"``), for messages.

    Returns
    -------
    pandas.Series
        ``uncertainty_m`` aligned to ``frame.index``; NaN for ``none``.

    Raises
    ------
    ValidationError
        If the column holds values that are not precision levels.
    """
    if COLUMN not in frame.columns:
        return pd.Series(0.0, index=frame.index, name="uncertainty_m")
    text = frame[COLUMN].fillna("").astype(str).str.strip()
    levels = registry()
    unknown = sorted(set(text) - set(levels) - {""})
    if unknown:
        msg = (
            f"{role}: column {COLUMN!r} holds {unknown[:5]}; geoplan reads it as the "
            f"geocoding precision of each point, one of {list(levels)}. Rename the "
            "column if it means something else."
        )
        raise ValidationError(msg)
    metres = {
        k: np.nan if v.uncertainty_m is None else v.uncertainty_m
        for k, v in levels.items()
    }
    return text.map({**metres, "": 0.0}).astype(float).rename("uncertainty_m")


def decide(
    distance_low_m: ArrayLike, distance_high_m: ArrayLike, radius_m: float
) -> NDArray[np.object_]:
    """
    Decide coverage from the range a true distance can take.

    Parameters
    ----------
    distance_low_m, distance_high_m
        Per row, the least and the most the true distance to the nearest
        facility can be (NaN where the row has no location; ``inf`` where no
        facility is reachable).
    radius_m
        The radius (or network distance) that counts as covered.

    Returns
    -------
    numpy.ndarray
        :data:`COVERED` where even the most is within the radius,
        :data:`NOT_COVERED` where even the least is beyond it,
        :data:`UNDETERMINED` in between, :data:`NOT_LOCATED` for NaN.
    """
    states = np.array(STATES, dtype=object)
    return states[decide_codes(distance_low_m, distance_high_m, radius_m)]


def decide_codes(
    distance_low_m: ArrayLike, distance_high_m: ArrayLike, radius_m: float
) -> NDArray[np.int8]:
    """
    Decide coverage as positions in :data:`STATES` (see :func:`decide`).

    Parameters
    ----------
    distance_low_m, distance_high_m
        As for :func:`decide`.
    radius_m
        As for :func:`decide`.

    Returns
    -------
    numpy.ndarray
        One small integer per row: ``STATES[code]`` is its state.
    """
    low = np.asarray(distance_low_m, dtype=float)
    high = np.asarray(distance_high_m, dtype=float)
    code = np.full(low.shape, STATE_CODE[UNDETERMINED], dtype=np.int8)
    code[high <= radius_m] = STATE_CODE[COVERED]
    code[low > radius_m] = STATE_CODE[NOT_COVERED]
    code[np.isnan(low) | np.isnan(high)] = STATE_CODE[NOT_LOCATED]
    return code


def coarse_summary(levels: pd.Series) -> str:
    """
    Name the coarse precisions among rows, for a warning.

    Parameters
    ----------
    levels
        Precision ids of the rows concerned.

    Returns
    -------
    str
        For example ``"12 at county (up to 30 km off), 3 at town (up to 5 km off)"``.
    """
    parts = []
    for level, count in levels.value_counts().items():
        entry = registry().get(str(level))
        if entry is None or not entry.uncertainty_m:
            continue
        parts.append(
            f"{count} at {entry.id} (up to {entry.uncertainty_m / 1000:g} km off)"
        )
    return ", ".join(parts)
