"""Options shared by the commands; numbers are checked by :mod:`geoplan._numbers`."""

from __future__ import annotations

import argparse
import functools
import sys
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
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
    return list(_REGISTRIES[name]())


# Each registry's module is imported only when an option of the command run
# names it: `geoplan geocode` does not load the network, map and plan stacks.


def _coords() -> Iterable[str]:
    from geoplan.places.coords import SYSTEMS

    return SYSTEMS


def _modes() -> Iterable[str]:
    from geoplan.access import modes

    return modes.available()


def _basemaps() -> Iterable[str]:
    from geoplan.render import basemaps

    return basemaps.available()


def _methods() -> Iterable[str]:
    from geoplan.access.coverage import METHODS

    return METHODS


def _levels() -> Iterable[str]:
    from geoplan.places.gazetteer import LEVELS

    return LEVELS


def _unit_levels() -> Iterable[str]:
    from geoplan.planning.plans import UNIT_LEVELS

    return sorted(UNIT_LEVELS)


def _export_formats() -> Iterable[str]:
    from geoplan.io.export import FORMATS

    return [s.lstrip(".") for s in FORMATS]


def _export_crs() -> Iterable[str]:
    from geoplan.io.export import CRS_CHOICES

    return sorted(CRS_CHOICES)


def _presets() -> Iterable[str]:
    from geoplan.access import presets

    return presets.available()


def _plans() -> Iterable[str]:
    from geoplan.planning import plans

    return plans.available()


def _version() -> Iterable[str]:
    from geoplan._version import __version__

    return [__version__]


_REGISTRIES: dict[str, Callable[[], Iterable[str]]] = {
    "coords": _coords,
    "modes": _modes,
    "basemaps": _basemaps,
    "methods": _methods,
    "levels": _levels,
    "unit_levels": _unit_levels,
    "export_formats": _export_formats,
    "export_crs": _export_crs,
    # help texts' {presets}, {plans}, {version}, {modes}
    "presets": _presets,
    "plans": _plans,
    "version": _version,
}


def _fill(text: str) -> str:
    """Fill a help text's ``{presets}``, ``{plans}``, ``{modes}`` and ``{version}``."""
    for name in ("presets", "plans", "version", "modes"):
        if f"{{{name}}}" in text:  # its registry loaded only then
            text = text.replace(f"{{{name}}}", ", ".join(_REGISTRIES[name]()))
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
    *,
    only: Collection[str] | None = None,
) -> argparse.ArgumentParser:
    """
    Build the ``geoplan`` parser from ``data/commands.toml``.

    Parameters
    ----------
    parser_class
        The parser class of every command (errors as one line).
    handlers
        The function that runs each command, by its key (``"plan check"``).
    only
        The keys whose options are added (see :func:`keys_named`); every
        command is still listed. Default: every key's options.

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
        parsers[key] = parser
        if only is not None and key not in only:
            continue  # another command's options: their choices are not loaded
        exclusive = {
            name: parser.add_mutually_exclusive_group(required=group["required"])
            for name, group in spec.get("groups", {}).items()
        }
        for option in spec.get("options", []):
            option = {**shared.get(option.get("use"), {}), **option}
            option.pop("use", None)
            group = option.pop("group", None)
            _add_option(exclusive[group] if group else parser, option)
    return parsers["geoplan"]


def keys_named(argv: Sequence[str]) -> set[str]:
    """
    Return the registry keys a command line names: the root, its command, its action.

    Parameters
    ----------
    argv
        The arguments, without the program name.

    Returns
    -------
    set of str
        For example ``{"geoplan", "plan", "plan check"}``; only ``{"geoplan"}``
        when no command is named.
    """
    keys = set(_registry()) - {"options"}
    named, prefix = {"geoplan"}, ""
    for word in (a for a in argv if not a.startswith("-")):
        if f"{prefix}{word}" in keys:
            named.add(f"{prefix}{word}")
            prefix = f"{prefix}{word} "
        elif prefix:
            break  # the command's own arguments
    return named


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
