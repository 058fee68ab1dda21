"""Checks every command makes before it writes: outputs never replace inputs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from geoplan.errors import ValidationError
from geoplan.io.postgis import is_postgis


def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.samefile(b)  # hard links, case-insensitive disks
    except OSError:
        return False


def refuse_overwriting_inputs(
    inputs: Mapping[str, Path | str | Iterable[Path] | None],
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
        if value is None or is_postgis(value):
            continue  # a database layer is no file an output could replace
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


#: Names Windows refuses for a file, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_filename(name: object, *, max_bytes: int = 120) -> str:
    """
    Return a name from data as one safe file-name part, Chinese kept.

    Parameters
    ----------
    name
        A layer name, an indicator id, a unit name.
    max_bytes
        The longest result in UTF-8 bytes (file systems allow 255).

    Returns
    -------
    str
        No path separators, no ``..``, no control or reserved characters,
        no leading dot or space, not a reserved device name; never empty.

    Examples
    --------
    >>> safe_filename("../../pwnchart"), safe_filename("社工站 S12")
    ('_.__._pwnchart', '社工站 S12')
    """
    text = unicodedata.normalize("NFC", str(name))
    text = _UNSAFE.sub("_", text).replace("..", "_.")
    text = text.strip(" .") or "_"
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1]
    if text.split(".")[0].upper() in _RESERVED:
        text = f"_{text}"
    return text


def inside(folder: Path | str, name: str) -> Path:
    """
    Return ``folder / name``, refusing any path that would leave `folder`.

    Parameters
    ----------
    folder
        The output folder the user gave.
    name
        A file name (already made safe with :func:`safe_filename`).

    Returns
    -------
    pathlib.Path
        The path inside `folder`.

    Raises
    ------
    ValidationError
        If the resolved path is not inside `folder`.
    """
    base = Path(folder)
    target = base / name
    if not target.resolve().is_relative_to(base.resolve()):
        msg = f"{name!r} would be written outside {base}; refused."
        raise ValidationError(msg)
    return target
