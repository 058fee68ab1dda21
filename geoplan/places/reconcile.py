"""Put units of other lists onto the spine: one unit, one current code.

The spine is the civil-affairs ministry's division list (2025-12-31). A unit
from another list (adcode 2016, the statistics bureau's 2023 villages, a
user's table) is the spine's unit when

1. it has the same code and the same short name (``code``);
2. else, its parent reconciled onto the spine (a county through the
   ministry's change history: 公主岭市 220381 is 长春's 220184 since 2020),
   the one spine unit of its level there with the same short name
   (``name in parent``);
3. else, the one such unit in the city around it (``name in city``: towns
   moved between counties).

Anything else stays unmatched with the reason (``no unit named …``, ``several
units named …``); nothing is ever added twice under two codes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pandas as pd

from geoplan.places.gazetteer import LEVEL_DIGITS, LEVELS, short_name

#: How a unit was put onto the spine.
BY_CODE = "code"
BY_PARENT = "name in parent"
BY_CITY = "name in city"


def _parent_level(level: str) -> str:
    return LEVELS[LEVELS.index(level) - 1]


def reconcile(
    spine: pd.DataFrame,
    other: pd.DataFrame,
    *,
    parents: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """
    Find each unit of `other` on the spine.

    Parameters
    ----------
    spine
        The current units: index 12-digit ``code``, columns ``name``,
        ``level``.
    other
        Units of another list, same layout, all of one level.
    parents
        Codes of the level above, other list -> spine (as returned for that
        level by a previous call, or a county change table); a parent not
        listed that exists on the spine maps to itself.

    Returns
    -------
    pandas.DataFrame
        Indexed like `other`: ``code`` (the spine's, ``""`` when unmatched),
        ``how`` (:data:`BY_CODE`, :data:`BY_PARENT`, :data:`BY_CITY` or the
        reason it is unmatched).
    """
    parents = dict(parents or {})
    levels = other["level"].unique()
    if len(levels) != 1:
        msg = f"reconcile one level at a time, got {sorted(levels)}"
        raise ValueError(msg)
    (level,) = levels
    parent_digits = LEVEL_DIGITS[_parent_level(level)]
    city_digits = LEVEL_DIGITS["city"]
    mine = spine[spine["level"] == level]
    short = {c: short_name(n, level) for c, n in mine["name"].items()}
    by_parent: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_city: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code, name in short.items():
        by_parent[(code[:parent_digits], name)].append(code)
        by_city[(code[:city_digits], name)].append(code)
    known = set(spine.index)
    codes, hows = [], []
    for code, name in other["name"].items():
        wanted = short_name(name, level)
        if short.get(code) == wanted:
            codes.append(code)
            hows.append(BY_CODE)
            continue
        parent = code[:parent_digits].ljust(12, "0")
        parent = parents.get(parent, parent if parent in known else "")
        found = by_parent.get((parent[:parent_digits], wanted), []) if parent else []
        how = BY_PARENT
        if not found:
            city = (parent or code)[:city_digits]
            found = by_city.get((city, wanted), [])
            how = BY_CITY
        if len(found) == 1:
            codes.append(found[0])
            hows.append(how)
        elif found:
            codes.append("")
            hows.append(f"several units named {name} there: {', '.join(found[:3])}")
        else:
            codes.append("")
            hows.append(f"no {level} named {name} in its county or city now")
    return pd.DataFrame({"code": codes, "how": hows}, index=other.index)
