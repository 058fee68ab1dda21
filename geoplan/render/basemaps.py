"""Basemaps for HTML maps, from a data file, with their coordinate systems.

``tianditu-vec`` and ``tianditu-img`` (天地图, CGCS2000 ≈ WGS-84, with Chinese
label layers; a key from ``TIANDITU_KEY`` or the argument), ``gaode`` (高德,
GCJ-02: every overlay is shifted to GCJ-02 for display only), ``osm`` and
``none``. ``auto`` picks Tianditu when a key is set, else OpenStreetMap.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import os
from typing import Literal

from geoplan._models import Model, Text, validate
from geoplan.errors import RegistryError


class BasemapError(RegistryError):
    """A basemap is unknown or needs a key that is not set."""


class Basemap(Model):
    """A tile basemap: URL templates, attribution and coordinate system."""

    id: Text
    name_zh: Text
    name_en: Text
    tiles: tuple[str, ...]
    coord_system: Literal["wgs84", "gcj02"]
    attribution: str = ""
    subdomains: str = ""
    max_zoom: int = 18
    key_variable: str = ""

    @property
    def needs_key(self) -> bool:
        """
        Whether the tile URLs need an API key.

        Returns
        -------
        bool
            True when a tile URL holds ``{key}``.
        """
        return any("{key}" in t for t in self.tiles)

    def urls(self, key: str | None = None) -> list[str]:
        """
        Return the tile URL templates with the key filled in.

        Parameters
        ----------
        key
            The API key; default from the environment variable.

        Returns
        -------
        list of str
            Leaflet URL templates.

        Raises
        ------
        BasemapError
            If a key is needed and none is given or set.
        """
        if not self.needs_key:
            return list(self.tiles)
        key = key or os.environ.get(self.key_variable, "")
        if not key:
            msg = (
                f"The {self.name_en} basemap needs a key: get a free Tianditu key "
                "(天地图 tk) at console.tianditu.gov.cn, then set "
                f"{self.key_variable} or pass --tianditu-key; or use --basemap osm "
                "or none."
            )
            raise BasemapError(msg)
        return [t.replace("{key}", key) for t in self.tiles]


class _Registry(Model):
    """``basemaps.json``."""

    about: str = ""
    basemaps: tuple[Basemap, ...]


@functools.cache
def _registry() -> dict[str, Basemap]:
    path = importlib.resources.files("geoplan") / "data" / "basemaps.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    registry = validate(_Registry, data, source="basemaps.json", error=BasemapError)
    return {b.id: b for b in registry.basemaps}


def available() -> list[str]:
    """
    List the basemap ids.

    Returns
    -------
    list of str
        Including ``auto``.
    """
    return [*_registry(), "auto"]


def get(name: str, *, key: str | None = None) -> Basemap:
    """
    Look a basemap up; ``auto`` is Tianditu when a key is set, else OSM.

    Parameters
    ----------
    name
        A basemap id (case and dashes forgiven) or ``auto``.
    key
        A Tianditu key, for ``auto``.

    Returns
    -------
    Basemap
        The basemap.
    """
    wanted = name.strip().lower().replace("_", "-")
    if wanted == "auto":
        has_key = key or os.environ.get("TIANDITU_KEY")
        wanted = "tianditu-vec" if has_key else "osm"
    try:
        return _registry()[wanted]
    except KeyError:
        msg = f"No basemap {name!r}; available: {', '.join(available())}."
        raise BasemapError(msg) from None
