"""Life-circle presets: cited service thresholds, loaded from a data file.

The registry ships as ``geoplan/data/presets.json`` (GB 50180-2018's five,
ten and fifteen-minute tiers and others, each with its source and clause).
Users add their own with :func:`register` or :func:`load`. Minutes and metres
are converted only here (:func:`metres_for_minutes`).
"""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from geoplan._models import Model, Positive, Text, validate
from geoplan.errors import PresetError

METHODS = ("euclidean", "network")


class Preset(Model):
    """A named service threshold with its citation (unknown keys go to `extra`)."""

    id: Text
    name_zh: Text
    name_en: Text
    distance_m: Positive
    method: Literal["euclidean", "network"]
    source: Text
    clause: str = ""
    minutes: Positive | None = None
    distance_range_m: tuple[float, float] | None = None
    mode: str = "walk"
    confidence: str = "user"
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _extra(cls, data: Any) -> Any:
        """Keep keys the registry does not know in `extra`, not as errors."""
        if not isinstance(data, dict):
            return data
        known = {k: v for k, v in data.items() if k in cls.model_fields}
        rest = {k: v for k, v in data.items() if k not in cls.model_fields}
        return {**known, "extra": {**known.get("extra", {}), **rest}}

    @property
    def walk_speed_m_s(self) -> float | None:
        """
        The walking speed the preset implies, if it names minutes.

        Returns
        -------
        float | None
            Metres per second (distance over minutes), or None.
        """
        if not self.minutes:
            return None
        return self.distance_m / (self.minutes * 60.0)


_REGISTRY: dict[str, Preset] = {}


def _key(name: str) -> str:
    return re.sub(r"[\s_.\-]+", "", name).lower()


def _from_record(record: dict[str, Any], origin: str) -> Preset:
    where = f"{origin}: preset {record.get('id')!r}"
    return validate(Preset, record, source=where, error=PresetError)


def register(preset: Preset) -> Preset:
    """
    Add a user-defined preset (replacing one with the same id).

    Parameters
    ----------
    preset
        The preset, e.g. ``Preset(id="rural-cemetery-3km", name_zh="农村公墓服务半径",
        name_en="Rural cemetery radius", distance_m=3000, method="euclidean",
        source="county plan")``.

    Returns
    -------
    Preset
        `preset`.
    """
    _REGISTRY[_key(preset.id)] = preset
    return preset


def load(path: Path) -> list[Preset]:
    """
    Register every preset of a JSON file shaped like the bundled one.

    Parameters
    ----------
    path
        A JSON file with a ``presets`` list.

    Returns
    -------
    list of Preset
        The presets registered.
    """
    records = json.loads(Path(path).read_text(encoding="utf-8"))["presets"]
    return [register(_from_record(r, str(path))) for r in records]


def _ensure_loaded() -> None:
    if _REGISTRY:
        return
    bundled = importlib.resources.files("geoplan") / "data" / "presets.json"
    for record in json.loads(bundled.read_text(encoding="utf-8"))["presets"]:
        register(_from_record(record, "geoplan/data/presets.json"))


def available() -> list[str]:
    """
    List the ids of all registered presets.

    Returns
    -------
    list of str
        Preset ids, bundled ones first.
    """
    _ensure_loaded()
    return [p.id for p in _REGISTRY.values()]


def get(name: str) -> Preset:
    """
    Look a preset up by id, forgiving case, spaces, dots and dashes.

    Parameters
    ----------
    name
        For example ``"gb50180-15min"`` or ``"GB50180 15min"``.

    Returns
    -------
    Preset
        The registered preset.

    Raises
    ------
    PresetError
        If no preset matches; the message lists the available ones.
    """
    _ensure_loaded()
    try:
        return _REGISTRY[_key(name)]
    except KeyError:
        msg = f"No preset {name!r}; available: {', '.join(available())}."
        raise PresetError(msg) from None


def metres_for_minutes(minutes: float, *, walk_speed_m_s: float) -> float:
    """
    Convert a walking time into a distance.

    Parameters
    ----------
    minutes
        Walking time in minutes.
    walk_speed_m_s
        Walking speed in metres per second.

    Returns
    -------
    float
        Distance in metres.

    Examples
    --------
    >>> metres_for_minutes(15, walk_speed_m_s=1.2)
    1080.0
    """
    if minutes < 0 or walk_speed_m_s <= 0:
        msg = (
            "`minutes` must be >= 0 and `walk_speed_m_s` > 0, "
            f"got {minutes!r} and {walk_speed_m_s!r}."
        )
        raise ValueError(msg)
    return float(minutes) * 60.0 * float(walk_speed_m_s)
