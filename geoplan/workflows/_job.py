"""What every job shares: its fields, checks and replace(); what every result does.

Jobs are pydantic models (:mod:`geoplan._models`): made from the command line,
an analysis file or Python, they are checked the same way, and a mistake is one
:class:`~geoplan.errors.ValidationError` naming the option.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, model_validator

from geoplan._models import Loc, Model, Positive, Share, one_of
from geoplan.access import modes, presets
from geoplan.errors import ValidationError
from geoplan.places.coords import CoordSystem


def _option(loc: Loc, phrase: str, error: Mapping[str, Any]) -> str:  # noqa: ARG001
    """Word a problem by the option and field it concerns."""
    if not loc:
        return phrase
    name = str(loc[0])
    return f"--{name.replace('_', '-')} ({name}) {phrase}"


class Reach(BaseModel):
    """What counts as served, as jobs and analysis files' ``[coverage]`` say it."""

    radius_m: Positive | None = None
    minutes: Positive | None = None
    preset: Annotated[str, one_of(presets.available)] | None = None
    target_share: Share | None = None
    weight_column: str | None = None
    duplicate_ids: Literal["reject", "keep"] = "reject"


class Job(Model, Reach):
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
    radius_m, minutes, preset
        The reach in metres, in minutes of travel along `network`, or a
        life-circle preset giving it; one of them.
    target_share
        A covered share to reach or report the gap to (e.g. 0.9).
    network, mode
        Street network file (.osm, .osm.bz2, .osm.pbf) and travel mode.
    map, basemap
        The HTML map (default ``maps/<out name>.html``) and its tiles.
    out
        The GeoPackage written.
    """

    demand: Path | str  # a file or a PostGIS URL
    coords: CoordSystem | None = None
    network: Path | None = None
    mode: Annotated[str, one_of(modes.available)] = "walk"
    map: Path | None = None
    basemap: str = "auto"
    out: Path

    def __init__(self, **data: Any) -> None:
        """Check the fields, then the job as a whole; one message lists all."""
        self._validate_into(data, where=_option)

    @model_validator(mode="before")
    @classmethod
    def _default_map(cls, data: Any) -> Any:
        """Default the map to ``maps/<out name>.html``."""
        if isinstance(data, dict) and data.get("map") is None:
            out = data.get("out") or cls.model_fields["out"].default
            data = {**data, "map": Path("maps") / f"{Path(out).stem}.html"}
        return data

    @model_validator(mode="after")
    def _one_reach(self) -> Self:
        given = [x for x in (self.radius_m, self.minutes, self.preset) if x is not None]
        if len(given) != 1:
            msg = (
                "give one reach: a radius (--radius-m, radius_m), a time "
                "(--minutes, minutes) or a preset"
            )
            raise ValueError(msg)
        self._check()
        return self

    def _check(self) -> None:
        """Check what a job adds (raise ValueError); nothing here."""

    @property
    def reach_m(self) -> float:
        """
        The radius in metres: given, or the preset's distance.

        Returns
        -------
        float
            `radius_m`, else the `preset`'s ``distance_m``.

        Raises
        ------
        geoplan.errors.ValidationError
            For a reach in minutes, which has no radius.
        """
        if self.minutes is not None:
            msg = (
                "this step needs a radius in metres (--radius-m); a reach in "
                "minutes (--minutes) is not supported here yet."
            )
            raise ValidationError(msg)
        if self.radius_m is not None:
            return float(self.radius_m)
        return float(presets.get(str(self.preset)).distance_m)

    def replace(self, **changes: Any) -> Self:
        """
        Return a copy with some fields changed (checked again).

        A new `out` moves the default map with it, unless `map` is given too.

        Parameters
        ----------
        **changes
            Fields and their new values.

        Returns
        -------
        Job
            The new job.
        """
        fields = self.model_dump(exclude={"map"} if "out" in changes else set())
        return type(self)(**{**fields, **changes})


class Result(abc.ABC):
    """What a workflow found: it writes its files and describes itself."""

    notes: list[str]

    @abc.abstractmethod
    def write(self) -> list[Path]:
        """
        Write the result's files, each atomically.

        Returns
        -------
        list of pathlib.Path
            The files written.
        """

    @abc.abstractmethod
    def summary(self) -> str:
        """
        Return the lines the command line prints about the result.

        Returns
        -------
        str
            What was found, one fact per line.
        """
