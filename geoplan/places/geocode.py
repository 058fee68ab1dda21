"""Place table rows on the map, offline first, stating per row how precisely.

:func:`geocode` matches names or addresses against the gazetteer
(:mod:`geoplan.places.matcher`) with a context per row (e.g. the county the list is
for), applies manual overrides first, and optionally asks online providers
for rows the gazetteer could not place finely enough. Every row comes back:

- ``precision``: ``manual``, ``address`` (online providers only),
  ``village``, ``town``, ``county``, ``city``, ``province`` or ``none`` (the
  level of the point given);
- ``status``: ``override``, ``matched``, ``matched_fallback``, ``context``,
  ``ambiguous``, ``provider`` or ``unmatched``;
- ``code`` / ``name_path``: the unit the text named;
- ``confidence`` (0-1) and a readable ``explanation``;
- ``candidates`` for ambiguous rows; no candidate is ever picked at random.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan._geometry import has_location
from geoplan.places import _national
from geoplan.places.crs import WGS84
from geoplan.places.gazetteer import (
    LEVEL_DIGITS,
    Gazetteer,
    code_parent,
    code_path,
    pad_code,
)
from geoplan.places.matcher import Match, Matcher, matched_confidence, normalise
from geoplan.places.precision import registry as precision_registry

logger = logging.getLogger(__name__)

#: Precision levels, finest first (the registry of :mod:`geoplan.places.precision`).
PRECISIONS = tuple(precision_registry())
RESULT_COLUMNS = [
    "precision",
    "status",
    "code",
    "name_path",
    "point_code",
    "confidence",
    "explanation",
    "candidates",
]
FALLBACK_FACTOR = 0.7
#: Rows whose texts are matched at once (sorted, sharing their steps).
CHUNK_ROWS = 100_000


FIXES_COLUMNS = ["name", "code", "lon", "lat", "reason"]
#: More short names than a text has characters are never read.
_SHORTS_SPAN = 1_000
_SIGNIFICANT = sorted(LEVEL_DIGITS.values())


def unit_prefix(code: object) -> str:
    """
    Return the significant digits of a unit code.

    Parameters
    ----------
    code
        A unit code, padded or not.

    Returns
    -------
    str
        For example ``"611024"`` for ``611024000000``.
    """
    padded = pad_code(code)
    return next(padded[:n] for n in _SIGNIFICANT if not padded[n:].strip("0"))


@dataclass
class Overrides:
    """
    Manual fixes: a name, anywhere or within one unit, placed at a WGS-84 point.

    A fix with a ``code`` applies only to rows whose context lies in that unit
    (the same site name can stand in two counties); a fix without one applies
    to every row of that name. The most specific fix wins.
    """

    points: dict[tuple[str, str], tuple[float, float]]
    source: str = "overrides"
    pending: int = 0

    def find(self, name: str, context: str | None) -> tuple[float, float] | None:
        """
        Return the fix for `name` in the unit `context`, the most specific first.

        Parameters
        ----------
        name
            The row's text.
        context
            The row's 12-digit context code, if any.

        Returns
        -------
        tuple of float or None
            The WGS-84 point, or None when no fix applies.
        """
        key = normalise(name)
        prefixes = [context[:n] for n in reversed(_SIGNIFICANT)] if context else []
        for prefix in [*prefixes, ""]:
            if (key, prefix) in self.points:
                return self.points[key, prefix]
        return None


def fixes_template(
    names: pd.Series, result: pd.DataFrame, context: str | pd.Series | None = None
) -> pd.DataFrame:
    """
    List the rows to fix by hand as an overrides table with blank points.

    Fill in ``lon``/``lat`` (WGS-84 unless read with another ``coords``) and
    pass the file back as overrides; rows left blank are skipped and counted.

    Parameters
    ----------
    names
        The texts that were geocoded.
    result
        As from :func:`geocode` over `names`.
    context
        The context given to :func:`geocode` (one code, or one per row).

    Returns
    -------
    pandas.DataFrame
        :data:`FIXES_COLUMNS`, one row per distinct (name, context) to check,
        in input order, with the explanation as ``reason``.
    """
    _, check = match_report(result)
    contexts = (
        context.reindex(names.index)
        if isinstance(context, pd.Series)
        else pd.Series(context, index=names.index)
    )
    rows = pd.DataFrame(
        {
            "name": names.loc[check.index].astype(str),
            "code": contexts.loc[check.index].map(
                lambda v: "" if pd.isna(v) else str(v)
            ),
            "lon": "",
            "lat": "",
            "reason": check["explanation"],
        }
    )
    return rows.drop_duplicates(["name", "code"]).reset_index(drop=True)


class _Placer:
    """Turn matches into points, walking up the hierarchy where needed."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        units = gazetteer.units
        self.units = units
        self.gazetteer = gazetteer
        codes = units.index.tolist()
        self.name = dict(zip(codes, units["name"].tolist(), strict=True))
        self.level = dict(zip(codes, units["level"].tolist(), strict=True))
        renamed = units[units["former_names"] != ""]
        self.former = {
            code: [n.split("@") for n in names.split(";")]
            for code, names in renamed["former_names"].items()
        }
        self._name_paths: dict[str, str] = {}
        self.answers: dict[tuple[object, ...], Answer] = {}  # matched rows, once
        self.xy_of: dict[str, tuple[float, float]] = {}
        self.inner: dict[str, tuple[float, float, int]] = {}
        self._villages: list[str] = []  # the villages with a point, as added
        self._points(units)
        shipped = _national.village_points()  # villages not loaded as units
        self._points(shipped[[c not in self.level for c in shipped.index.tolist()]])

    def _points(self, units: pd.DataFrame) -> None:
        """Points of units, and of towns the mean of their villages' points."""
        has = units["lon"].notna()
        points = zip(
            units.loc[has, "lon"].tolist(), units.loc[has, "lat"].tolist(), strict=True
        )
        codes = units.index[has]
        self.xy_of.update(zip(codes.tolist(), points, strict=True))
        # a town without a point of its own: the mean of its villages' points
        # (village codes end in anything but 000)
        added = codes[~pd.Series(codes.str[9:12]).isin(["000", ""]).to_numpy()]
        self._villages.extend(added.tolist())
        towns = {c[:9] for c in added.tolist()}
        if not towns:
            return
        inside = [c for c in self._villages if c[:9] in towns]
        xy = pd.DataFrame(
            [self.xy_of[c] for c in inside], index=inside, columns=["lon", "lat"]
        )
        grouped = xy.groupby(xy.index.str[:9].str.ljust(12, "0"))
        means = grouped[["lon", "lat"]].mean().join(grouped.size().rename("n"))
        columns = (means[c].tolist() for c in ("lon", "lat", "n"))
        self.inner.update(
            (code, (lon, lat, int(n)))
            for code, lon, lat, n in zip(means.index.tolist(), *columns, strict=True)
        )

    def add(self, villages: Mapping[str, str]) -> None:
        """
        Know the shipped villages a matcher loaded later (their points are known).

        Parameters
        ----------
        villages
            Names by code.
        """
        self.name.update(villages)
        self.level.update(dict.fromkeys(villages, "village"))

    def path(self, code: str) -> list[str]:
        """
        Return the codes from the province down to `code`.

        Parameters
        ----------
        code
            The 12-digit code of any unit the placer knows.

        Returns
        -------
        list[str]
            Ancestor codes that exist, then `code`.
        """
        return code_path(code, self.level[code], self.level)

    def name_path(self, code: str) -> str:
        """
        Return the names from the province down to `code`, joined by ``/``.

        Parameters
        ----------
        code
            A 12-digit code known to the placer.

        Returns
        -------
        str
            For example ``"陕西省/商洛市/商州区/北宽坪镇"``.
        """
        text = self._name_paths.get(code)
        if text is None:
            parent = code_parent(code, self.level[code], self.level)
            text = self.name[code]
            if parent is not None:  # its path is kept too
                text = f"{self.name_path(parent)}/{text}"
            self._name_paths[code] = text
        return text

    def xy(self, code: str) -> tuple[float, float] | None:
        """
        Return the point of `code`: its own, or the mean of points inside it.

        Parameters
        ----------
        code
            The unit, matched or reached by a name path.

        Returns
        -------
        tuple[float, float] | None
            (lon, lat) in WGS-84, or None when neither exists.
        """
        if not code:
            return None
        if code in self.xy_of:
            return self.xy_of[code]
        inner = self.inner.get(code)
        return (float(inner[0]), float(inner[1])) if inner else None

    def point(self, code: str, siblings: Sequence[str] = ()) -> tuple[str, int, str]:
        """
        (code with a point, levels walked up, note) for a matched unit.

        Parameters
        ----------
        code
            A 12-digit unit code.
        siblings
            Other codes of the same match, tried in turn.

        Returns
        -------
        tuple[str, int, str]
            The code whose point is used (``""`` when none), how many levels
            above `code` it is, and a note for the explanation.
        """
        for candidate in (code, *siblings):
            if candidate in self.xy_of:
                note = "" if candidate == code else f" (point of {candidate})"
                return candidate, 0, note
        if code in self.inner:
            return (
                code,
                0,
                f" (no point of its own: mean of {self.inner[code][2]} "
                "points inside it)",
            )
        for up, ancestor in enumerate(reversed(self.path(code)[:-1]), start=1):
            if ancestor in self.xy_of:
                return ancestor, up, ""
            if ancestor in self.inner:
                return (
                    ancestor,
                    up,
                    f" (mean of {self.inner[ancestor][2]} points inside it)",
                )
        return "", 0, ""


def geocode(  # noqa: PLR0913
    names: pd.Series,
    *,
    gazetteer: Gazetteer | None = None,
    matcher: Matcher | None = None,
    context: str | pd.Series | None = None,
    fallback: pd.Series | None = None,
    fallback_label: str = "fallback",
    overrides: Overrides | None = None,
    providers: Sequence[object] = (),
    progress: Callable[[int], None] | None = None,
) -> gpd.GeoDataFrame:
    """
    Geocode names or addresses offline, row by row, never dropping a row.

    Parameters
    ----------
    names
        The names or addresses.
    gazetteer
        The gazetteer; default :meth:`Gazetteer.load` (the store, else the
        built-in one).
    matcher
        A prebuilt matcher over `gazetteer` (built when omitted).
    context
        A unit code for the whole list (e.g. ``"611002"``), or one per row.
    fallback
        A second text per row, tried when `names` reaches no finer than the
        context (e.g. the village a site's cemetery is planned in).
    fallback_label
        How the explanation names the fallback text.
    overrides
        Manual fixes that always win.
    providers
        Online geocoders (:mod:`geoplan.places.providers`), asked in order for rows
        the gazetteer placed no finer than a county.
    progress
        Called with the number of rows done after each row.

    Returns
    -------
    geopandas.GeoDataFrame
        The :data:`RESULT_COLUMNS`, points in EPSG:4326, aligned to
        ``names.index``.
    """
    gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
    matcher = matcher if matcher is not None else Matcher(gazetteer)
    contexts = (
        context.reindex(names.index)
        if isinstance(context, pd.Series)
        else pd.Series(context, index=names.index)
    )
    extras = fallback.reindex(names.index) if fallback is not None else None
    givens = contexts.astype(object).where(contexts.notna(), None)
    with _collector_paused():  # the rows' answers are freed before it runs again
        table, geometry = _answer(
            *_keys(names, givens, extras, matcher),
            matcher,
            _placer(matcher),
            progress,
            fallback_label=fallback_label,
            overrides=overrides,
            providers=providers,
        )
    out = gpd.GeoDataFrame(table.set_axis(names.index), geometry=geometry, crs=WGS84)
    logger.info(
        "Geocoded %d rows: %s", len(out), out["precision"].value_counts().to_dict()
    )
    return out


def _keys(
    names: pd.Series, givens: pd.Series, extras: pd.Series | None, matcher: Matcher
) -> tuple[list[Key], np.ndarray]:
    """
    Return the distinct keys of the rows and each row's among them.

    A key is a row's text, context (today's code) and fallback text.
    """
    known: dict[object, str | None] = {}  # a context as given -> today's code
    for given in dict.fromkeys(givens.tolist()):
        known[given] = matcher.current(pad_code(given)) if given is not None else None
    if extras is None and known.keys() <= {None}:  # no context, no fallback
        rows, distinct = pd.factorize(names, use_na_sentinel=False)
        return [(str(name), None, None) for name in distinct.tolist()], rows
    others = extras.tolist() if extras is not None else [None] * len(names)
    keys = np.empty(len(names), dtype=object)
    keys[:] = [
        (str(name), known[given], extra if isinstance(extra, str) else None)
        for name, given, extra in zip(
            names.tolist(), givens.tolist(), others, strict=True
        )
    ]
    rows, distinct = pd.factorize(keys)
    return distinct.tolist(), rows


def _answer(
    uniques: list[Key],
    rows: np.ndarray,
    matcher: Matcher,
    placer: _Placer,
    progress: Callable[[int], None] | None,
    *,
    fallback_label: str,
    overrides: Overrides | None,
    providers: Sequence[object],
) -> tuple[pd.DataFrame, np.ndarray]:
    """Answer each distinct key once (`rows`: each row's); every row's table, points."""
    counts = np.bincount(rows, minlength=len(uniques))
    answer_of = np.full(len(uniques), -1)  # each distinct key's answer
    read: Block = ({}, [])
    matched: dict[int, Match] = {}  # read over arrays, answered row by row
    if overrides is None and not providers:
        read, matched = _answer_read(uniques, matcher, placer, answer_of)
    answers: list[Answer] = []  # after the rows read (matched rows share theirs)
    todo = np.flatnonzero(answer_of < 0)
    done = len(rows) - int(counts[todo].sum())  # rows answered over arrays
    if progress is not None:
        for row in range(1, done + 1):
            progress(row)
    for first in range(0, len(todo), CHUNK_ROWS):
        chunk = todo[first : first + CHUNK_ROWS].tolist()
        found = _matches(  # those read over arrays and left were marked walked
            [uniques[i] for i in chunk if i not in matched],
            matcher,
            over_arrays=not read[1],
        )
        for i, count in zip(chunk, counts[chunk].tolist(), strict=True):
            answer_of[i] = len(read[1]) + len(answers)
            answers.append(
                _one(
                    uniques[i],
                    matched[i] if i in matched else found[uniques[i][:2]],
                    fallback_label=fallback_label,
                    matcher=matcher,
                    placer=placer,
                    overrides=overrides,
                    providers=providers,
                )
            )
            if progress is not None:  # row by row: a provider may take a while
                for row in range(done + 1, done + count + 1):
                    progress(row)
            done += count
    points = [*read[1], *(a[1] for a in answers)]
    table = pd.DataFrame([a[0] for a in answers], columns=RESULT_COLUMNS)
    if read[1]:  # the rows read over arrays come first
        first = pd.DataFrame(read[0], columns=RESULT_COLUMNS)
        table = pd.concat([first, table], ignore_index=True) if answers else first
    geometry = np.full(len(points), None, dtype=object)
    placed = [i for i, p in enumerate(points) if p is not None]
    xy = np.array([points[i] for i in placed], dtype=float).reshape(-1, 2)
    geometry[placed] = shapely.points(xy)
    positions = answer_of[rows]
    return table.take(positions), geometry.take(positions)


def _answer_read(
    keys: list[Key],
    matcher: Matcher,
    placer: _Placer,
    answer_of: np.ndarray,
) -> tuple[Block, dict[int, Match]]:
    """
    Answer the distinct rows of a long list that the matcher reads over arrays.

    A row read so to one unit, with no context or fallback text, none of its
    units renamed, is answered as its unit with its short names, as
    :func:`_placed` answers its match; the position of its answer among
    those returned goes to `answer_of`. The rest are left to the row-by-row
    answer, with the matches of those read (by position in `keys`).
    """
    plain = [i for i, k in enumerate(keys) if k[1] is None and k[2] is None]
    read = matcher.read_many([keys[i][0] for i in plain])
    if read is None:
        return ({}, []), {}
    at, reads = read
    renamed = np.array(sorted(int(c) for c in placer.former if c.isdigit()))
    named_so = np.zeros(len(reads.unit), dtype=bool)  # a unit read was renamed
    for rows, reached in reads.steps:
        named_so[rows] |= np.isin(reached, renamed)
    answered = ~reads.walked & (reads.unit >= 0) & ~named_so
    rows = np.flatnonzero(answered[at])
    picked = at[rows]  # a unit and its short names as one number
    pairs = reads.unit[picked] * _SHORTS_SPAN + reads.short_names[picked]
    found, which = np.unique(pairs, return_inverse=True)
    plain_at = np.asarray(plain, dtype=np.intp)
    answer_of[plain_at[rows]] = which.reshape(-1)
    units, shorts = (part.tolist() for part in divmod(found, _SHORTS_SPAN))
    block = _matched_many([f"{unit:012d}" for unit in units], shorts, placer)
    # read, not answered here (no unit, or one renamed): matched as read
    rest = np.flatnonzero(~reads.walked[at] & ~answered[at])
    texts_read, text_of = np.unique(at[rest], return_inverse=True)
    matches = matcher.read_matches(reads, texts_read)
    return block, {
        i: matches[t]
        for i, t in zip(plain_at[rest].tolist(), text_of.tolist(), strict=True)
    }


#: One placer per matcher, kept while the matcher lives (it learns villages).
_PLACERS: weakref.WeakKeyDictionary[Matcher, _Placer] = weakref.WeakKeyDictionary()


def _placer(matcher: Matcher) -> _Placer:
    """Return the placer of `matcher`'s gazetteer, told of the villages it loads."""
    placer = _PLACERS.get(matcher)
    if placer is None:
        placer = _PLACERS[matcher] = _Placer(matcher.gazetteer)
        matcher.on_load(placer.add)
    return placer


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cycle collector: rows make no cycles, the index is large to scan."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


#: A geocoded row and its point.
Answer = tuple[list[object], tuple[float, float] | None]
#: A row to geocode: its text, context code and fallback text.
Key = tuple[str, str | None, str | None]
#: Answers as columns (:data:`RESULT_COLUMNS`) and their points.
Block = tuple[dict[str, list[object]], list[tuple[float, float] | None]]


def _matches(
    keys: Sequence[Key], matcher: Matcher, *, over_arrays: bool = True
) -> dict[tuple[str, str | None], Match]:
    """Match the rows' texts, each context's at once."""
    texts: dict[str | None, list[str]] = {}
    for name, context, _ in keys:
        texts.setdefault(context, []).append(name)
    return {
        (name, context): match
        for context, names in texts.items()
        for name, match in zip(
            names,
            matcher.match_many(names, context=context, over_arrays=over_arrays),
            strict=True,
        )
    }


def _one(
    key: Key,
    match: Match,
    *,
    fallback_label: str,
    matcher: Matcher,
    placer: _Placer,
    overrides: Overrides | None,
    providers: Sequence[object],
) -> Answer:
    """Answer one distinct row (`match`: its text's; a manual fix wins over it)."""
    name, context, extra = key
    point = overrides.find(name, context) if overrides is not None else None
    if point is not None:
        assert overrides is not None  # a point came from them
        note = f"manual fix from {overrides.source} (always wins)"
        return ["manual", "override", "", "", "", 1.0, note, ""], point
    status, factor, prefix = match.status, 1.0, ""
    if status == "unmatched" and extra:
        second = matcher.match(extra, context=context)
        if second.status == "matched":
            match, status, factor = second, "matched_fallback", FALLBACK_FACTOR
            prefix = (
                f"no place name recognised in {name!r}; placed by its "
                f"{fallback_label} {extra!r}: "
            )
    row, point = _placed(name, match, status, factor, prefix, context, placer)
    if context is not None and context not in placer.level:
        note = f"context {context} is not a unit of the gazetteer, not used; {row[6]}"
        row = [*row[:6], note, *row[7:]]  # rows of matches are shared: a copy
    if row[0] in ("county", "city", "province", "none") and status != "ambiguous":
        for provider in providers:
            answer = provider.geocode(name)  # type: ignore[attr-defined]
            if answer is not None:
                return answer.row(name), answer.point
    return row, point


def _placed(
    name: str,
    match: Match,
    status: str,
    factor: float,
    prefix: str,
    context: str | None,
    placer: _Placer,
) -> tuple[list[object], tuple[float, float] | None]:
    if match.status == "ambiguous":
        names = " | ".join(placer.name_path(c) for c in match.candidates)
        common = match.code or ""
        where, _, _ = placer.point(common) if common else ("", 0, "")
        precision = placer.level[where] if where else "none"
        note = (
            f"ambiguous: {len(match.candidates)} units fit {name!r} ({names}); "
            "none picked" + (", placed at their common unit" if where else "")
        )
        row = [precision, "ambiguous", common, "", where, 0.0, note, names]
        return row, placer.xy(where)
    code = match.code or context
    if match.status == "unmatched" or code is None:
        if context is None or context not in placer.level:
            note = f"no unit of the gazetteer recognised in {name!r}"
            return ["none", "unmatched", "", "", "", 0.0, note, ""], None
        where, _, _ = placer.point(context)
        precision = placer.level[where] if where else "none"
        note = (
            f"no place name recognised in {name!r}; placed at the context "
            f"{placer.name_path(context)}"
        )
        row = [
            precision,
            "context",
            context,
            placer.name_path(context),
            where,
            0.3 if where else 0.0,
            note,
            "",
        ]
        return row, placer.xy(where)
    former = _former_names(name, match, placer)
    return _matched(
        code,
        match.short_names,
        status,
        factor,
        (prefix, former),
        placer,
        widened=match.widened,
        candidates=match.candidates,
    )


def _matched(
    code: str,
    short_names: int,
    status: str,
    factor: float,
    notes: tuple[str, str],
    placer: _Placer,
    *,
    widened: str = "",
    candidates: Sequence[str] = (),
) -> Answer:
    """
    Place a matched unit (`notes`: the texts before and after "matched").

    `short_names`, `widened` and `candidates` are the match's. Placed once
    for all rows that say the same of it (`placer.answers`).
    """
    # what the row says: the units passed on the way do not change it
    key = (*notes, status, factor, code, short_names, widened, *candidates)
    known = placer.answers.get(key)
    if known is None:
        columns, points = _matched_many(
            [code],
            [short_names],
            placer,
            status=status,
            factor=factor,
            notes=notes,
            widened=widened,
            candidates=candidates,
        )
        known = placer.answers[key] = ([c[0] for c in columns.values()], points[0])
    return known


def _matched_many(
    codes: list[str],
    short_names: list[int],
    placer: _Placer,
    *,
    status: str = "matched",
    factor: float = 1.0,
    notes: tuple[str, str] = ("", ""),
    widened: str = "",
    candidates: Sequence[str] = (),
) -> tuple[dict[str, list[object]], list[tuple[float, float] | None]]:
    """Place matched units: their rows as :data:`RESULT_COLUMNS`, their points."""
    placed = [placer.point(c, [s for s in candidates if s != c]) for c in codes]
    paths = [placer.name_path(c) for c in codes]
    before, former = notes
    if widened:
        under = "/".join(placer.name[c] for c in widened.split(",")[:2])
        former += f"; not found under {under}, found elsewhere in its province"
    level, name = placer.level, placer.name
    scores: dict[tuple[int, int], float] = {}  # a few kinds of reading
    for shorts, (_, up, _) in zip(short_names, placed, strict=True):
        if (shorts, up) not in scores:
            score = matched_confidence(shorts, point_levels_up=up) * factor
            scores[shorts, up] = round(score, 3)
    columns: dict[str, list[object]] = {
        "precision": [level[where] if where else "none" for where, _, _ in placed],
        "status": [status] * len(codes),
        "code": list(codes),
        "name_path": list(paths),
        "point_code": [where for where, _, _ in placed],
        "confidence": [
            scores[s, up] for s, (_, up, _) in zip(short_names, placed, strict=True)
        ],
        "explanation": [
            f"{before}matched {level[code]} {path}{former}"
            + (f"; it has no point, placed at {name[where]}" if up else "")
            + via
            for code, path, (where, up, via) in zip(codes, paths, placed, strict=True)
        ],
        "candidates": [""] * len(codes),
    }
    return columns, [placer.xy(where) for where, _, _ in placed]


def _former_names(name: str, match: Match, placer: _Placer) -> str:
    """Say which units the text named by a former name, and since when."""
    former = placer.former
    if match.code not in former and former.keys().isdisjoint(match.units):
        return ""
    codes = [*match.units, match.code or ""]
    text = normalise(name)
    notes = [
        f"{old} is the former name of {placer.name[code]} (changed {year})"
        for code in dict.fromkeys(codes)
        for old, year in placer.former.get(code, ())
        if old in text and placer.name[code] not in text
    ]
    return "; " + "; ".join(notes) if notes else ""


def with_results(table: pd.DataFrame, result: gpd.GeoDataFrame) -> pd.DataFrame:
    """
    Join geocoding results to the table they came from, with lon/lat columns.

    The input's own columns come first and keep their names; a result column
    whose name the input already uses is written as ``geocode_<name>``.

    Parameters
    ----------
    table
        The rows geocoded.
    result
        As from :func:`geocode` over a column of `table`.

    Returns
    -------
    pandas.DataFrame
        `table`, then ``lon`` and ``lat`` (WGS-84, 6 decimals, blank where
        no point) and the :data:`RESULT_COLUMNS`; readable by
        :func:`geoplan.io.layers.read_points` with ``coords="wgs84"``.
    """
    placed = has_location(result)
    xy = pd.DataFrame(
        {
            "lon": result.geometry.x.where(placed).round(6),
            "lat": result.geometry.y.where(placed).round(6),
        },
        index=result.index,
    )
    answers = xy.join(result.drop(columns="geometry"))
    taken = {str(c).strip().lower() for c in table.columns}
    answers.columns = [
        f"geocode_{c}" if c.lower() in taken else c for c in answers.columns
    ]
    return table.join(answers)


def match_report(result: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    Summarise a geocoding result: counts per precision and the rows to check.

    Parameters
    ----------
    result
        As from :func:`geocode`.

    Returns
    -------
    tuple of pandas.DataFrame
        Counts per precision and status, and every row that is ambiguous,
        unmatched or no finer than a county, with its explanation.
    """
    counts = result.groupby(["precision", "status"]).size().rename("rows").reset_index()
    coarse = result["precision"].isin(["county", "city", "province", "none"])
    columns = ["precision", "status", "explanation", "candidates"]
    check = result.loc[coarse | (result["status"] == "ambiguous"), columns]
    return counts, check


def points_at_county(
    frame: pd.DataFrame, counties: gpd.GeoDataFrame, *, code_column: str = "county_code"
) -> gpd.GeoDataFrame:
    """
    Place each row at a representative point of its county.

    The point is guaranteed to lie inside the county polygon. All rows of one
    county share the point, so the precision is ``county``.

    Parameters
    ----------
    frame
        Rows to place, each with a six-digit county code.
    counties
        County polygons in WGS-84, as from :func:`geoplan.places.boundaries.counties`.
    code_column
        The column of `frame` that holds the county code.

    Returns
    -------
    geopandas.GeoDataFrame
        `frame` with point geometry (EPSG:4326), ``precision`` and
        ``precision_note`` columns, aligned to ``frame.index``.
    """
    anchors = counties.set_index("county_code").geometry.representative_point()
    codes = frame[code_column].astype(str)
    points = codes.map(anchors)
    found = points.notna()
    precision = pd.Series("none", index=frame.index).where(~found, "county")
    note = pd.Series(
        "county code not found in the county layer", index=frame.index
    ).where(~found, "representative point of the county polygon")
    return gpd.GeoDataFrame(
        frame.assign(precision=precision, precision_note=note),
        geometry=gpd.GeoSeries(points, index=frame.index, crs=WGS84),
        crs=WGS84,
    )
