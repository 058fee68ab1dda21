"""Options shared by the commands; numbers are checked by :mod:`geoplan._numbers`."""

from __future__ import annotations

import argparse
import functools
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from geoplan._numbers import count, positive, share
from geoplan.workflows._job import Job, Result

J = TypeVar("J", bound="Job")


#: ``type`` in ``data/commands.toml``: how an option's text is read and checked.
def source(text: str) -> Path | str:
    """Read a layer source: a PostGIS URL as it is, anything else as a path."""
    from geoplan.io.postgis import is_postgis

    return text if is_postgis(text) else Path(text)


_TYPES: dict[str, Callable[[str], Any]] = {
    "path": Path,
    "source": source,
    "positive": positive,
    "share": share,
    "count": count,
    "int": int,
}


def _choices(name: str) -> list[str]:
    """Return the values of a registry an option's ``choices`` names."""
    from geoplan.access import coverage, modes
    from geoplan.io import export
    from geoplan.places import gazetteer
    from geoplan.places.coords import SYSTEMS
    from geoplan.planning import plans
    from geoplan.render import basemaps

    registries: dict[str, Callable[[], Iterable[str]]] = {
        "coords": lambda: SYSTEMS,
        "modes": modes.available,
        "basemaps": basemaps.available,
        "methods": lambda: coverage.METHODS,
        "levels": lambda: gazetteer.LEVELS,
        "unit_levels": lambda: sorted(plans.UNIT_LEVELS),
        "export_formats": lambda: [s.lstrip(".") for s in export.FORMATS],
        "export_crs": lambda: sorted(export.CRS_CHOICES),
    }
    return list(registries[name]())


def _fill(text: str) -> str:
    """Fill a help text's ``{presets}``, ``{plans}`` and ``{version}``."""
    from geoplan._version import __version__
    from geoplan.access import modes, presets
    from geoplan.planning import plans

    for key, value in (
        ("{presets}", lambda: ", ".join(presets.available())),
        ("{plans}", lambda: ", ".join(plans.available())),
        ("{version}", lambda: __version__),
        ("{modes}", lambda: ", ".join(modes.available())),
    ):
        if key in text:
            text = text.replace(key, value())
    return text


@functools.cache
def _registry() -> dict[str, Any]:
    """Read the command registry, ``data/commands.toml``."""
    text = resources.files("geoplan").joinpath("data", "commands.toml").read_text()
    return tomllib.loads(text)


def _add_option(target: Any, spec: dict[str, Any]) -> None:
    """Add one option of the registry to a parser or a group of it."""
    spec = dict(spec)
    names = spec.pop("flags", None) or [spec.pop("name")]
    readers = {
        "type": lambda v: _TYPES[v],
        "choices": lambda v: _choices(v) if isinstance(v, str) else v,
        "action": lambda v: Deprecated if v == "deprecated" else v,
        "help": _fill,
        "version": _fill,
    }
    if spec.pop("hidden", False):
        spec["help"] = argparse.SUPPRESS
    kwargs = {k: readers.get(k, lambda v: v)(v) for k, v in spec.items()}
    target.add_argument(*names, **kwargs)


def build_parser(
    parser_class: type[argparse.ArgumentParser],
    handlers: Mapping[str, Callable[[argparse.Namespace], int]],
) -> argparse.ArgumentParser:
    """
    Build the ``geoplan`` parser from ``data/commands.toml``.

    Parameters
    ----------
    parser_class
        The parser class of every command (errors as one line).
    handlers
        The function that runs each command, by its key (``"plan check"``).

    Returns
    -------
    argparse.ArgumentParser
        The root parser; ``args.handler`` runs the command given.
    """
    registry = _registry()
    shared = registry["options"]
    parsers: dict[str, argparse.ArgumentParser] = {}
    groups: dict[str, argparse._SubParsersAction] = {}
    for key, spec in registry.items():
        if key == "options":
            continue
        if key == "geoplan":
            parser = parser_class(
                prog="geoplan", description=spec["description"], epilog=spec["epilog"]
            )
            groups[key] = parser.add_subparsers(
                dest="command", metavar="COMMAND", parser_class=parser_class
            )
        else:
            parent, _, name = key.rpartition(" ")
            parent = parent or "geoplan"
            if parent not in groups:
                groups[parent] = parsers[parent].add_subparsers(
                    dest="action", metavar="ACTION", required=True,
                    parser_class=parser_class,
                )  # fmt: skip
            description = spec.get("description", spec["help"])
            parser = groups[parent].add_parser(
                name, help=spec["help"], description=description
            )
        if key in handlers:
            parser.set_defaults(handler=handlers[key])
        exclusive = {
            name: parser.add_mutually_exclusive_group(required=group["required"])
            for name, group in spec.get("groups", {}).items()
        }
        for option in spec.get("options", []):
            option = {**shared.get(option.get("use"), {}), **option}
            option.pop("use", None)
            group = option.pop("group", None)
            _add_option(exclusive[group] if group else parser, option)
        parsers[key] = parser
    return parsers["geoplan"]


class Deprecated(argparse.Action):
    """Store an option given by its old name, and say which name replaces it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,  # noqa: ARG002 (argparse's signature)
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        """Warn on stderr, then store the value under the new name."""
        new = "--" + self.dest.replace("_", "-")
        print(
            f"geoplan: {option_string} is deprecated; use {new} (same meaning).",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def job_from_args(cls: type[J], args: argparse.Namespace) -> J:
    """
    Build a workflow's job from parsed options of the same names.

    Parameters
    ----------
    cls
        A job model (its field names are the options' dests).
    args
        The parsed options; those not given (None) take the job's default.

    Returns
    -------
    Job
        ``cls(**options)``, checked by the job itself.
    """
    given = {n: getattr(args, n, None) for n in cls.model_fields}
    return cls(**{n: v for n, v in given.items() if v is not None})


def finish(result: Result) -> int:
    """
    Write a workflow's result and print its summary (its notes were said).

    Parameters
    ----------
    result
        A workflow result.

    Returns
    -------
    int
        0, the exit code of a finished command.
    """
    written = result.write()
    print(result.summary())
    print("Written: " + ", ".join(map(str, written)))
    return 0
