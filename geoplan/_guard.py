"""Checks every command makes before it writes: outputs never replace inputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import ValidationError


def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.samefile(b)  # hard links, case-insensitive disks
    except OSError:
        return False


def refuse_overwriting_inputs(
    inputs: Mapping[str, Path | Iterable[Path] | None],
    outputs: Mapping[str, Path | None],
) -> None:
    """
    Refuse to run when an output file would replace an input file.

    Parameters
    ----------
    inputs
        Option (or argument) name -> the file(s) it names, e.g.
        ``{"--demand": Path("d.csv")}``; None for options not given.
    outputs
        What is written -> where, e.g. ``{"--out (its CSV)": Path("d.csv")}``.

    Raises
    ------
    ValidationError
        Naming the output, the input it would replace and the fix.
    """
    given: list[tuple[str, Path]] = []
    for option, value in inputs.items():
        if value is None:
            continue
        paths = [value] if isinstance(value, str | Path) else list(value)
        given += [(option, Path(p)) for p in paths]
    for what, target in outputs.items():
        if target is None:
            continue
        for option, source in given:
            if _same(Path(target), source):
                msg = (
                    f"{what} would write {target}, which is the input given as "
                    f"{option}; geoplan never writes over its inputs. Choose "
                    "another output name or folder."
                )
                raise ValidationError(msg)
