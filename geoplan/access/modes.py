"""
Travel modes: which streets each mode may use, from one registry.

The registry ships as ``geoplan/data/modes.toml`` (osmnx's walk, bike, drive
and all network filters; whether one-way streets bind; speeds per street class
from GB 50180-2018, GB 50220-95, JTG B01-2014 and CJJ 37-2012; how points reach
the network; each cited there) and is loaded into :class:`Mode` objects,
checked once. Street networks (:func:`geoplan.access.network.network_from_osm`), jobs,
presets and the command line all take their modes from it.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
import tomllib

from pydantic import Field

from geoplan._models import Model, Positive, Text, validate
from geoplan.errors import ValidationError

#: Where the registry lives inside the package.
REGISTRY_FILE = "modes.toml"


class Mode(Model):
    """
    A travel mode and the OSM ways it may use.

    Attributes
    ----------
    id
        ``walk``, ``drive``, ``all``.
    name
        Chinese and English label.
    pyrosm_network
        pyrosm's ``network_type`` of the same meaning (for .osm.pbf files).
    exclude_highway, exclude_service
        Way ``highway`` and ``service`` values the mode may not use.
    exclude_private_access
        Whether ways tagged ``access=private`` are left out.
    oneway
        Whether one-way streets are used only their way (driving).
    speed_m_s
        Speed on a street of no listed class.
    speed_kmh
        Speed per OSM ``highway`` class, km/h.
    use_maxspeed
        Whether an OSM ``maxspeed`` tag wins over the class speed.
    off_network_speed_m_s, max_off_network_m
        How a point reaches its nearest street: at this speed, from at most
        this far.
    """

    id: Text
    name: Text
    pyrosm_network: Text
    exclude_highway: frozenset[str]
    exclude_service: frozenset[str]
    exclude_private_access: bool
    oneway: bool = False
    speed_m_s: Positive
    speed_kmh: dict[str, Positive] = Field(default_factory=dict)
    use_maxspeed: bool = False
    off_network_speed_m_s: Positive
    max_off_network_m: Positive

    def allows(self, tags: dict[str, object]) -> bool:
        """
        Tell whether the mode may use a way with these tags.

        Parameters
        ----------
        tags
            The way's (or a simplified edge's) ``highway``, ``service`` and
            ``access``; a value may be a list where osmnx merged ways.

        Returns
        -------
        bool
            False for a way with no ``highway`` tag, an area (``area=yes``),
            or any value of a tag the mode excludes.
        """
        highway = _values(tags.get("highway"))
        private = "private" in _values(tags.get("access"))
        return bool(highway) and not (
            "yes" in _values(tags.get("area"))
            or highway & self.exclude_highway
            or _values(tags.get("service")) & self.exclude_service
            or (self.exclude_private_access and private)
        )

    def speeds_m_s(self, highway: object, maxspeed: object = None) -> float:
        """
        Return the speed on a street of this class, in metres per second.

        Parameters
        ----------
        highway
            The street's ``highway`` value (a list where osmnx merged ways:
            the fastest listed class counts).
        maxspeed
            Its ``maxspeed`` tag (``"50"``, ``"30 mph"``, a list), used when
            the mode's ``use_maxspeed`` is set and it reads as a number.

        Returns
        -------
        float
            The tagged limit, else the class speed, else ``speed_m_s``.
        """
        if self.use_maxspeed:
            limits = [k for k in map(_kmh, _values(maxspeed)) if k is not None]
            if limits:
                return sum(limits) / len(limits) / 3.6
        classes = [self.speed_kmh[h] for h in _values(highway) if h in self.speed_kmh]
        return max(classes) / 3.6 if classes else self.speed_m_s


def _kmh(text: str) -> float | None:
    """Read an OSM ``maxspeed`` value in km/h (``"50"``, ``"30 mph"``); else None."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*", text)
    if match is None or float(match.group(1)) <= 0:
        return None
    return float(match.group(1)) * (1.609344 if match.group(2) == "mph" else 1.0)


def _values(value: object) -> set[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return set()
    items = value if isinstance(value, list | tuple | set) else [value]
    return {str(v) for v in items}


@functools.cache
def registry() -> dict[str, Mode]:
    """
    Return the shipped travel modes by id, checked.

    Returns
    -------
    dict of str to Mode
        ``walk``, ``elderly_walk``, ``cycle``, ``drive``, ``all``.

    Raises
    ------
    ValidationError
        When the registry file lacks a field or has one of the wrong type.
    """
    path = importlib.resources.files("geoplan") / "data" / REGISTRY_FILE
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out = {}
    for key, entry in raw.items():
        ways = raw.get(entry.get("ways", ""), {})  # ways = "walk": walk's streets
        shared = {k: ways[k] for k in _WAYS if k in ways}
        fields = {**shared, **{k: v for k, v in entry.items() if k != "ways"}}
        out[key] = validate(Mode, {**fields, "id": key}, source=f"{path.name} [{key}]")
    return out


#: The keys that say which ways a mode uses (``ways = "walk"`` copies them).
_WAYS = (
    "pyrosm_network",
    "exclude_highway",
    "exclude_service",
    "exclude_private_access",
)


def available() -> list[str]:
    """
    Return the ids of the travel modes.

    Returns
    -------
    list of str
        For example ``["walk", "drive", "all"]``.
    """
    return list(registry())


def get(mode: str, *, where: str = "mode") -> Mode:
    """
    Return a travel mode, or say which ones exist.

    Parameters
    ----------
    mode
        Its id.
    where
        How the message names the option or field that gave it.

    Returns
    -------
    Mode
        The mode.

    Raises
    ------
    ValidationError
        For an unknown id.
    """
    found = registry().get(str(mode))
    if found is None:
        msg = f"{where} must be one of {available()}, got {mode!r}."
        raise ValidationError(msg)
    return found
