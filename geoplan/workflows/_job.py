"""What every job shares: its inputs' common fields and checks, and replace()."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from geoplan.access import modes
from geoplan.errors import ValidationError
from geoplan.places.coords import SYSTEMS, CoordSystem


@dataclass(frozen=True, kw_only=True)
class Job:
    """
    Fields and checks shared by the jobs of :mod:`geoplan.workflows`.

    Parameters
    ----------
    demand
        Demand points: CSV/XLSX with lon/lat, or a GIS file.
    coords
        Coordinate system of table coordinates (``wgs84``/``gcj02``/``bd09``).
    duplicate_ids
        Rows repeating an id: ``reject`` (default) or ``keep``.
    weight_column
        Demand weights (population, households); 1 each when omitted.
    radius_m, preset
        The reach in metres, or a life-circle preset giving it.
    target_share
        A covered share to reach or report the gap to (e.g. 0.9).
    network, mode
        Street network file (.osm, .osm.bz2, .osm.pbf) and travel mode.
    map, basemap
        The HTML map (default ``maps/<out name>.html``) and its tiles.
    """

    demand: Path
    coords: CoordSystem | None = None
    duplicate_ids: Literal["reject", "keep"] = "reject"
    weight_column: str | None = None
    radius_m: float | None = None
    preset: str | None = None
    target_share: float | None = None
    network: Path | None = None
    mode: str = "walk"
    map: Path | None = None
    basemap: str = "auto"

    #: Fields that hold paths (given as text, kept as :class:`~pathlib.Path`).
    PATHS: tuple[str, ...] = dataclasses.field(
        default=("demand", "network", "map"), init=False, repr=False
    )

    def _common(self, out: Path) -> None:
        """Coerce paths, check coords and the reach, default the map."""
        for name in self.PATHS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        if self.coords is not None and self.coords not in SYSTEMS:
            msg = f"coords must be one of {list(SYSTEMS)}, got {self.coords!r}."
            raise ValidationError(msg)
        modes.get(self.mode, where="mode (--mode)")
        if (self.radius_m is None) == (self.preset is None):
            msg = "give a radius (--radius-m, radius_m) or a preset, not both."
            raise ValidationError(msg)
        if self.map is None:
            object.__setattr__(self, "map", Path("maps") / f"{Path(out).stem}.html")

    @property
    def reach_m(self) -> float:
        """
        The radius in metres: given, or the preset's distance.

        Returns
        -------
        float
            `radius_m`, else the `preset`'s ``distance_m``.
        """
        from geoplan.access import presets

        if self.radius_m is not None:
            return float(self.radius_m)
        return float(presets.get(str(self.preset)).distance_m)

    def replace(self, **changes: Any) -> Self:
        """
        Return a copy with some fields changed (checked again).

        Parameters
        ----------
        **changes
            Fields and their new values.

        Returns
        -------
        Job
            The new job.
        """
        return dataclasses.replace(self, **changes)
