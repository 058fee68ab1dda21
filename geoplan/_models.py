"""One validation library for every file and job: pydantic models, geoplan's words.

Analysis files, registries and workflow jobs are :class:`Model` subclasses:
unknown keys are errors, types are strict where a file gives them, and numbers
are checked by :mod:`geoplan._numbers`, so the command line, files and the
Python API refuse the same values with the same message. :func:`validate`
turns pydantic's errors into one :class:`~geoplan.errors.ValidationError`
listing every problem, each named where the user wrote it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from geoplan import _numbers
from geoplan.errors import ValidationError

M = TypeVar("M", bound=BaseModel)

#: Where a value sits, e.g. ``("coverage", "radius_m")``.
Loc = tuple[int | str, ...]


class Model(BaseModel):
    """A checked, frozen record: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def _validate_into(
        self, data: Mapping[str, Any], *, where: Callable[[Loc, str, Any], str]
    ) -> None:
        """Initialise from `data`; pydantic's errors become one of geoplan's."""
        try:
            BaseModel.__init__(self, **data)
        except pydantic.ValidationError as error:
            msg = "; ".join(problems(error, where)) + "."
            raise ValidationError(msg) from None


class FileModel(Model):
    """A section of a file: strict types (``"500"`` is not a number)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _number(parse: Callable[[str], Any]) -> AfterValidator:
    def check(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # say "got -5", as written, not "-5.0"
        try:
            return parse(str(value))
        except argparse.ArgumentTypeError as error:
            raise ValueError(str(error)) from None

    return AfterValidator(check)


#: A number greater than zero (metres, seconds).
Positive = Annotated[float, _number(_numbers.positive)]
#: A share in (0, 1], e.g. 0.9 for 90%.
Share = Annotated[float, _number(_numbers.share)]
#: A whole number of at least 1.
Count = Annotated[int, _number(_numbers.count)]
#: A text that must not be empty.
Text = Annotated[str, Field(min_length=1)]


def one_of(choices: Callable[[], Iterable[str]]) -> AfterValidator:
    """
    Check a text against a set of values read when it is checked (a registry).

    Parameters
    ----------
    choices
        Returns the allowed values, e.g. :func:`geoplan.access.presets.available`.

    Returns
    -------
    pydantic.AfterValidator
        For ``Annotated[str, one_of(...)]``.
    """

    def check(value: str) -> str:
        allowed = list(choices())
        if value not in allowed:
            msg = f"= {value!r} is not one of {allowed}"
            raise ValueError(msg)
        return value

    return AfterValidator(check)


#: What is wrong, by pydantic's error type (``value_error``: the check's words).
_PHRASES = {
    "missing": "is missing",
    "string_too_short": "is empty",
    "extra_forbidden": "is not a known key",
    "string_type": "= {value!r} must be a text in quotes",
    "float_type": "= {value!r} must be a number, written without quotes",
    "int_type": "= {value!r} must be a whole number, written without quotes",
    "int_from_float": "= {value!r} must be a whole number",
    "list_type": '= {value!r} must be a list: ["…", "…"]',
    "model_type": "= {value!r} must be a table of keys",
    "dict_type": "= {value!r} must be a table of keys",
    "bool_type": "= {value!r} must be true or false",
}


def _phrase(error: Mapping[str, Any]) -> str:
    """Say what is wrong with a value, as the command line would."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "literal_error":  # expected: "'a', 'b' or 'c'"
        expected = error["ctx"]["expected"].replace(" or ", ", ")
        return f"= {error.get('input')!r} is not one of [{expected}]"
    template = _PHRASES.get(error["type"], "= {value!r}: {msg}")
    return template.format(value=error.get("input"), msg=error["msg"])


def problems(
    error: pydantic.ValidationError,
    where: Callable[[Loc, str, Mapping[str, Any]], str],
) -> list[str]:
    """
    Return one line per problem, each worded by `where`.

    Parameters
    ----------
    error
        What pydantic found.
    where
        Given the value's location, the phrase and the raw error, the line to
        show (e.g. ``[coverage] radius_m must be greater than 0, got -5``).

    Returns
    -------
    list[str]
        The problems in the order pydantic found them, repeats removed.
    """
    lines: list[str] = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not str(p).startswith("function-"))
        line = where(loc, _phrase(item), item)
        if line not in lines:
            lines.append(line)
    return lines


def validate(
    cls: type[M],
    data: Any,
    *,
    source: str,
    where: Callable[[Loc, str, Mapping[str, Any]], str] | None = None,
    error: Callable[[str], Exception] = ValidationError,
) -> M:
    """
    Build `cls` from `data`, or raise one message listing every problem.

    Parameters
    ----------
    cls
        The model.
    data
        A mapping (a parsed file, keyword arguments).
    source
        What the data is, first in the message (a file name, ``"job"``).
    where
        Words each problem (default: the dotted location, then the phrase).
    error
        The exception to raise (a registry's own, e.g. ``PresetError``).

    Returns
    -------
    Model
        The checked model.

    Raises
    ------
    geoplan.errors.ValidationError
        Naming `source` and every problem (or `error`).
    """
    try:
        return cls.model_validate(data)
    except pydantic.ValidationError as found:
        lines = problems(found, where or dotted)
        raise error(f"{source}: " + "; ".join(lines) + ".") from None


def dotted(loc: Loc, phrase: str, error: Mapping[str, Any]) -> str:  # noqa: ARG001
    """
    Word a problem by its dotted location: ``speeds.primary = 'x' must be …``.

    Parameters
    ----------
    loc
        The value's location.
    phrase
        What is wrong.
    error
        pydantic's error (unused here; other wordings read its type).

    Returns
    -------
    str
        The line.
    """
    name = ".".join(map(str, loc))
    return f"{name} {phrase}".strip()
