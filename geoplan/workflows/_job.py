"""What every job shares: paths as paths, one reach, a default map, replace()."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Self

from ..errors import ValidationError


class Job:
    """Mixin of the frozen job dataclasses: common checks and ``replace``."""

    #: Fields that hold paths (given as text, kept as :class:`~pathlib.Path`).
    PATHS: tuple[str, ...] = ()

    def _common(self) -> None:
        """Coerce paths, check the reach, default the map beside ``maps/``."""
        for name in self.PATHS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        radius_m, preset = getattr(self, "radius_m"), getattr(self, "preset")  # noqa: B009
        if (radius_m is None) == (preset is None):
            msg = "give a radius (--radius-m, radius_m) or a preset, not both."
            raise ValidationError(msg)
        if getattr(self, "map") is None:  # noqa: B009
            out: Path = getattr(self, "out")  # noqa: B009
            object.__setattr__(self, "map", Path("maps") / f"{out.stem}.html")

    @property
    def reach_m(self) -> float:
        """The radius in metres: given, or the preset's distance."""
        from .. import presets

        radius_m: float | None = getattr(self, "radius_m")  # noqa: B009
        if radius_m is not None:
            return float(radius_m)
        return float(presets.get(str(getattr(self, "preset"))).distance_m)  # noqa: B009

    def replace(self, **changes: Any) -> Self:
        """Return a copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]
