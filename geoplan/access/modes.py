"""
Travel modes: which streets each mode may use, from one registry.

The registry ships as ``geoplan/data/modes.toml`` (osmnx's walk, drive and all
network filters, cited there) and is loaded into :class:`Mode` objects, checked
once. Street networks (:func:`geoplan.access.network.network_from_osm`), jobs,
presets and the command line all take their modes from it.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import tomllib

from geoplan._models import Model, Text, validate
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
    """

    id: Text
    name: Text
    pyrosm_network: Text
    exclude_highway: frozenset[str]
    exclude_service: frozenset[str]
    exclude_private_access: bool

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
        ``walk``, ``drive``, ``all``.

    Raises
    ------
    ValidationError
        When the registry file lacks a field or has one of the wrong type.
    """
    path = importlib.resources.files("geoplan") / "data" / REGISTRY_FILE
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        mode_id: validate(
            Mode, {**entry, "id": mode_id}, source=f"{path.name} [{mode_id}]"
        )
        for mode_id, entry in raw.items()
    }


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
