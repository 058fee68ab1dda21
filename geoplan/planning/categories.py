"""Facility categories and unit types of the plans, loaded from a data file.

``geoplan/data/categories.toml`` gives each facility category a stable
English id, its Chinese name and the variants the plans write
(``day_care_centre`` = 日间照料中心 / 社区日间照料设施 / 老年人日间照料中心 …),
the unit type it is usually counted against, and a default life-circle
preset where one applies. :func:`category` finds a category by id or by any
Chinese variant and suggests the closest ones for a name it does not know.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import tomllib
from collections.abc import Mapping
from typing import Self, TypeVar

from pydantic import model_validator

from geoplan._models import Model, validate
from geoplan.access import presets
from geoplan.errors import RegistryError


class CategoryError(RegistryError):
    """A facility category or unit type is unknown."""


class UnitType(Model):
    """A kind of unit indicators are counted against (乡镇(街道), 城市社区 …)."""

    id: str
    name_zh: str
    variants: tuple[str, ...] = ()


class Category(Model):
    """A facility category."""

    id: str
    name_zh: str
    name_en: str
    variants: tuple[str, ...] = ()
    counted_against: str
    default_preset: str = ""


class _Registry(Model):
    """``categories.toml``: unit types, then categories that name them."""

    units: tuple[UnitType, ...]
    categories: tuple[Category, ...]

    @model_validator(mode="after")
    def _references(self) -> Self:
        units = {u.id for u in self.units}
        problems, seen = [], set()
        for cat in self.categories:
            if cat.id in seen:
                problems.append(f"duplicate category id {cat.id!r}")
            seen.add(cat.id)
            if cat.counted_against not in units:
                problems.append(f"{cat.id}: unknown unit type {cat.counted_against!r}")
            if cat.default_preset and cat.default_preset not in presets.available():
                problems.append(f"{cat.id}: unknown preset {cat.default_preset!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@functools.cache
def _registry() -> tuple[dict[str, Category], dict[str, UnitType]]:
    path = importlib.resources.files("geoplan") / "data" / "categories.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    registry = validate(_Registry, data, source="categories.toml", error=CategoryError)
    categories = {c.id: c for c in registry.categories}
    return categories, {u.id: u for u in registry.units}


def categories() -> dict[str, Category]:
    """
    Return every registered facility category by id.

    Returns
    -------
    dict
        Id -> :class:`Category`.
    """
    return dict(_registry()[0])


def unit_types() -> dict[str, UnitType]:
    """
    Return every registered unit type by id.

    Returns
    -------
    dict
        Id -> :class:`UnitType`, from ``province`` down to ``community``; the
        ``counted_against`` of every category is one of them.
    """
    return dict(_registry()[1])


def category(name: str) -> Category:
    """
    Find a category by id, Chinese name or variant.

    Parameters
    ----------
    name
        For example ``"day_care_centre"``, ``"日间照料中心"`` or ``"社工站"``.

    Returns
    -------
    Category
        The category.

    Raises
    ------
    CategoryError
        If nothing matches; the message suggests the closest categories.
    """
    text = str(name).strip()
    cats = _registry()[0]
    found = _find(cats, text)
    if found is not None:
        return found
    names = {n: c.id for c in cats.values() for n in (c.id, c.name_zh, *c.variants)}
    close = difflib.get_close_matches(text, list(names), n=3, cutoff=0.4)
    hint = (
        ", ".join(f"{n} ({names[n]})" for n in close) or "see `geoplan plan categories`"
    )
    msg = f"Unknown facility category {text!r}; closest: {hint}."
    raise CategoryError(msg)


def unit_type(name: str) -> UnitType:
    """
    Find a unit type by id, Chinese name or variant.

    Parameters
    ----------
    name
        An id (``"township"``), a Chinese name (``"乡镇(街道)"``) or a variant
        the plans write (``"镇(街道)"``).

    Returns
    -------
    UnitType
        The unit type; :class:`CategoryError` listing the known ones if none.
    """
    text = str(name).strip()
    units = _registry()[1]
    found = _find(units, text)
    if found is not None:
        return found
    msg = f"Unknown unit type {text!r}; known: {', '.join(units)}."
    raise CategoryError(msg)


E = TypeVar("E", Category, UnitType)


def _find(entries: Mapping[str, E], text: str) -> E | None:
    """Return the entry whose id, Chinese name or a variant is `text`, or None."""
    if text in entries:
        return entries[text]
    return next(
        (e for e in entries.values() if text == e.name_zh or text in e.variants),
        None,
    )
