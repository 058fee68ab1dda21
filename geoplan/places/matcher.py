"""Match Chinese place names and addresses against the gazetteer.

The matcher reads an address left to right. At each position it takes the
longest unit name (full name, short name or a suffix variant such as
商州 = 商州区, 街办 = 街道办事处, 西口镇 = 西口回族镇) that lies below the units
matched so far, or below the context given for the row. What follows the last
place name (安置点, 移民小区, 一期 ...) is the site's own name and is left alone.

Several units can carry the same name (a 城关镇 in many counties, 新城区 in
several cities). The matcher follows every reading; when more than one unit
remains at the deepest level reached, the row is reported as ambiguous with
its candidates, and no candidate is picked.
"""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from collections.abc import (
    Callable,
    Container,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import ahocorasick
import numpy as np
import pandas as pd

from geoplan.places import _cache, _columnar, _national
from geoplan.places.gazetteer import (
    LEVEL_DIGITS,
    LEVELS,
    VARIANT_SUFFIXES,
    Gazetteer,
    plain_village_name,
    short_name,
)

MIN_KEY = 2
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
#: Placeholders of the statistical lists that name no unit of their own.
PLACEHOLDERS = (
    "自治区直辖县级行政区划",
    "省直辖县级行政区划",
    "县级行政区划",
    "市辖区",
    "县",
)
PLACEHOLDER_LENGTH = max(map(len, PLACEHOLDERS))
PLACEHOLDER_STARTS = frozenset(p[0] for p in PLACEHOLDERS)
MAX_CANDIDATES = 64
#: Codes of one name scanned one by one; more are looked up in sorted order.
FEW_CODES = 16
#: Levels whose names not found below them are looked for in their province.
WIDE_LEVELS = frozenset({"city", "county"})
#: How many codes lie below a unit of each level (itself included), over arrays.
COUNTY_WIDTH, TOWN_WIDTH = (10 ** (12 - LEVEL_DIGITS[lv]) for lv in ("county", "town"))
WIDE_WIDTHS = np.array([10 ** (12 - LEVEL_DIGITS[lv]) for lv in WIDE_LEVELS])
#: Steps remembered (keys at a position, units allowed) before starting afresh.
MAX_STEPS = 500_000
#: Lists with this many distinct texts (and no context) are read over arrays
#: first, once the arrays are built; lists this long build them (~0.25 s).
COLUMNS_FROM = 2_000
COLUMNS_BUILT_FROM = 25_000
#: Texts read over arrays at a time (their arrays take ~0.8 kB a text).
COLUMNS_CHUNK = 16_384
#: Characters of each text a long list is sorted by before it is read.
SORTED_BY = 8
CONFIDENCE_FULL = 1.0
CONFIDENCE_SHORT = 0.9
CONFIDENCE_PARENT_POINT = 0.8


#: One step of the matcher: characters read, the units they name, whether by a
#: short name.
Step = tuple[int, frozenset[str], bool]
NO_STEP: Step = (0, frozenset(), False)


class Node(NamedTuple):
    """The units a step reached, and what the next step needs to know of them."""

    states: tuple[str, ...]  # several when ambiguous
    allowed: tuple[str, ...]  # their code prefixes: names are looked up below
    deep: bool  # a town or deeper: villages are looked up at every step
    villages: tuple[tuple[str, _national.CountyForms], ...]  # (prefix, its forms)
    provinces: tuple[str, ...]  # cities/counties only: where to look wider
    starts: Container[str]  # how the village forms start (two characters, or one)


#: Where the matcher stands: characters read, the node, the units matched one
#: by one, short names used, the units a name was not found under.
State = tuple[int, Node, tuple[str, ...], int, str]
#: How a walk ended: a state with the node's units for the node.
Outcome = tuple[int, tuple[str, ...], tuple[str, ...], int, str]
#: The village forms read below a unit (as in its `Node`).
Villages = tuple[tuple[str, _national.CountyForms], ...]


class Reads(NamedTuple):
    """Texts read over arrays: one entry per text."""

    walked: np.ndarray  # left to the walk: what it reads may differ
    pos: np.ndarray  # characters read
    unit: np.ndarray  # the unit reached, as a number (-1: none)
    short_names: np.ndarray  # short names read
    steps: list[tuple[np.ndarray, np.ndarray]]  # per step: texts, units reached


#: In place of `widened`: more units fit than are reported (no walk goes on).
TOO_MANY = "\x00too many"


def normalise(text: str) -> str:
    """
    Normalise an address for matching: NFKC, no white space.

    Parameters
    ----------
    text
        The raw address.

    Returns
    -------
    str
        The address with full-width forms folded and spaces removed.
    """
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


@dataclass
class Match:
    """
    What the matcher found for one address.

    Addresses of one list that end alike share one match: do not change it.
    """

    status: str  # matched / ambiguous / unmatched
    code: str | None = None  # deepest unit matched (or common ancestor)
    units: list[str] = field(default_factory=list)  # codes matched in the text
    candidates: list[str] = field(default_factory=list)
    consumed: int = 0
    short_names: int = 0
    widened: str = ""  # the units under which a name was not found (then wider)


class Matcher:
    """
    A name index over a gazetteer.

    Parameters
    ----------
    gazetteer
        The units to match against.
    """

    def __init__(self, gazetteer: Gazetteer) -> None:
        """Index every unit's name, short name, aliases and suffix variants."""
        self.gazetteer = gazetteer
        self._level: dict[str, str] = {}
        self._short_of: dict[str, str] = {}
        self._vintage: dict[str, str] = {}
        self._current: dict[str, str] = {}
        # name -> the code it names, or the set of codes (most name one unit)
        self._full: dict[str, str | set[str]] = {}
        self._short: dict[str, str | set[str]] = {}
        self._listeners: list[Callable[[Mapping[str, str]], None]] = []
        self._units: set[str] = set()
        self._known: dict[str, str] = {}  # shipped villages matched so far
        self._trie: ahocorasick.Automaton | None = None
        self._max_key = 0
        self._steps: dict[tuple[object, ...], Step] = {}
        self._moves: dict[tuple[frozenset[str], str], Node] = {}
        self._ordered: dict[tuple[int, str], list[str]] = {}  # codes of a key, sorted
        self._ends: dict[str, bool] = {}  # no key goes on past this head
        self._leaf_digits = 0  # prefixes this long have no unit of the index below
        # the names as arrays: False until built, None where they cannot serve
        self._names: _columnar.Names | bool | None = False
        self._indexed = gazetteer.units  # names the cached arrays (`_arrays`)
        self._index(gazetteer.units)
        self._build_trie()  # part of the index: built now, not by the first match

    def on_load(self, listener: Callable[[Mapping[str, str]], None]) -> None:
        """
        Call `listener` with the shipped villages matched so far, then as matched.

        Parameters
        ----------
        listener
            A function of the villages' names by code (their points are in
            :func:`geoplan.places._national.village_points`).
        """
        if self._known:
            listener(self._known)
        self._listeners.append(listener)

    def current(self, code: str) -> str:
        """
        Return today's code for a former one (公主岭市 220381 -> 220184).

        Parameters
        ----------
        code
            A 12-digit code, former or current.

        Returns
        -------
        str
            The current unit's code, or `code` itself.
        """
        return self._current.get(code, code)

    def _index(self, units: pd.DataFrame) -> None:
        """Add units' names and variants to the index."""
        codes = units.index.tolist()
        self._units.update(codes)
        column = {c: units[c].tolist() for c in ("name", "short_name", "aliases")}
        levels = units["level"].tolist()
        self._level.update(zip(codes, levels, strict=True))
        self._short_of.update(zip(codes, column["short_name"], strict=True))
        self._vintage.update(zip(codes, units["vintage"].tolist(), strict=True))
        for code, former in zip(codes, units["former_codes"].tolist(), strict=True):
            for item in filter(None, former.split(";")):
                self._current.setdefault(item.split("@")[0], code)
        full_index, short_index = self._full, self._short
        for code, name, short, aliases, level in zip(
            codes,
            column["name"],
            column["short_name"],
            column["aliases"],
            levels,
            strict=True,
        ):
            fulls = [name, *filter(None, aliases.split(";"))]
            if level == "village":
                fulls += [plain_village_name(f) for f in fulls]
            for full in fulls:
                _add(full_index, full, code)
            if len(short) >= MIN_KEY:
                for variant in (short, *[short + s for s in VARIANT_SUFFIXES[level]]):
                    held = full_index.get(variant)  # a full name of the unit itself?
                    if held is None or (
                        held != code if isinstance(held, str) else code not in held
                    ):
                        _add(short_index, variant, code)
        self._trie = None  # rebuilt on the next match
        self._names = False
        self._max_key = max(map(len, [*self._full, *self._short]), default=0)
        deepest = max(map(LEVELS.index, set(levels)), default=0)
        leaf = LEVEL_DIGITS[LEVELS[deepest]]
        if any("@" in c for c in codes):  # a former code sits below its namesake
            leaf = len(max(codes, key=len)) + 1
        self._leaf_digits = max(self._leaf_digits, leaf)
        self._steps.clear()
        self._moves.clear()
        self._ordered.clear()
        self._ends.clear()

    def _build_trie(self) -> ahocorasick.Automaton:
        """Return the trie of every name key (built when first needed)."""
        if self._trie is None:
            trie = ahocorasick.Automaton()
            for key in {*self._full, *self._short}:
                if len(key) >= MIN_KEY:
                    trie.add_word(key, None)
            self._trie = trie
        return self._trie

    def _ends_keys(self, head: str) -> bool:
        """Whether no key goes on past `head` (then nothing after it is read)."""
        if len(self._ends) >= MAX_STEPS:
            self._ends.clear()
        longer = itertools.islice(self._build_trie().keys(head), 2)
        return all(len(key) <= len(head) for key in longer)

    def _village(
        self,
        text: str,
        pos: int,
        villages: Villages,
    ) -> tuple[Step, int]:
        """
        Return the longest shipped village name at `pos` below the allowed units.

        Also how far into `text` the look-up read (the end of the longest
        form it tried).
        """
        best, hits, read = self._village_forms(text, pos, villages)
        hits = {c for c in hits if c not in self._units}  # imported: main index
        if not hits:
            return NO_STEP, read
        fresh = [c for c in hits if c not in self._level]
        if fresh:
            self._know(fresh)
        return (best, frozenset(hits), False), read

    def _village_forms(
        self, text: str, pos: int, villages: Villages, longer_than: int = 0
    ) -> tuple[int, set[str], int]:
        """
        Return the longest village form's length at `pos`, its villages, the read.

        Only forms longer than `longer_than` are looked up (none found: 0).
        Villages imported as units are among them (`_village` drops them);
        nothing is learnt.
        """
        best, hits, read, size = 0, set[str](), pos + 2, len(text)
        start, first = text[pos : pos + 2], text[pos]
        for prefix, (forms, lengths) in villages:
            tried = lengths.get(start, ()) + lengths.get(first, ())  # 东 is a form
            if not tried:
                continue
            read = max(read, pos + tried[0])  # lengths are longest first
            for length in tried:
                if length < best or length <= longer_than:
                    break
                if pos + length > size:  # a slice past the end is a shorter form
                    continue
                found = forms.get(text[pos : pos + length])
                below = (
                    [
                        c
                        for c in ((found,) if isinstance(found, str) else found)
                        if c.startswith(prefix)
                    ]
                    if found
                    else None
                )
                if below:
                    if length > best:
                        best, hits = length, set()
                    hits.update(below)
                    break
        return best, hits, read

    def _know(self, codes: list[str]) -> None:
        """Make shipped villages known units (names, levels) once matched."""
        names = {c: _national.village_name(c) for c in codes}
        for code, name in names.items():
            self._level[code] = "village"
            self._short_of[code] = short_name(name, "village")
            self._vintage[code] = _national.VILLAGE_VINTAGE
        self._known.update(names)
        for listener in self._listeners:
            listener(names)

    def _prefix(self, code: str) -> str:
        return code[: LEVEL_DIGITS[self._level[code]]] if code else ""

    def _longest(self, head: str, allowed: tuple[str, ...], root: str) -> Step:
        """Return the longest key starting `head` naming a unit below `allowed`."""
        if not root and all(len(a) >= self._leaf_digits for a in allowed):
            return NO_STEP  # below a town when no village is a unit: villages only
        memo = (head, allowed, root)
        step = self._steps.get(memo)
        if step is None:
            if len(self._steps) >= MAX_STEPS:
                self._steps.clear()
            step = self._steps[memo] = self._resolve(head, allowed, root)
        return step

    def _resolve(self, head: str, allowed: tuple[str, ...], root: str) -> Step:
        ancestors = self._ancestors(root)
        full_index, short_index = self._full, self._short
        for n in range(len(head), MIN_KEY - 1, -1):
            key = head[:n]
            full_held, short_held = full_index.get(key), short_index.get(key)
            if full_held is None and short_held is None:
                continue
            full = self._below(full_index, key, full_held, allowed, ancestors)
            short = self._below(short_index, key, short_held, allowed, ancestors)
            if not (full or short):
                continue
            # a full name beats a short one, except between villages, whose
            # committee suffixes make 王村委会 and 王村村委会 both 王村; and
            # a town's name beats a village inside it named alike
            if full and short:
                below = full | {c for c in short if self._level[c] == "village"}
            else:
                below = full or short
            if len(below) > 1:
                rank = {c: LEVEL_RANK[self._level[c]] for c in below}
                least = min(rank.values())
                below = {c for c, r in rank.items() if r == least}
            top = frozenset(below)
            return n, top, not (top & full)
        return NO_STEP

    def _ancestors(self, root: str) -> set[str]:
        """Return the context and the units above it (skipped when written out)."""
        return set(self.gazetteer.path(root)) if root else set()

    def _move(self, found: frozenset[str], root: str) -> Node:
        """Return the node of the units `found` (without the context's own)."""
        node = self._moves.get((found, root))
        if node is None:
            states = tuple(sorted(found - self._ancestors(root) if root else found))
            if len(self._moves) >= MAX_STEPS:
                self._moves.clear()
            node = self._moves[found, root] = self._node(states)
        return node

    def _node(self, states: tuple[str, ...]) -> Node:
        allowed = tuple(self._prefix(s) for s in states)
        villages = tuple(v for prefix in allowed for v in _villages_below(prefix))
        levels = {self._level.get(s) for s in states}
        wide = bool(states) and levels <= WIDE_LEVELS
        return Node(
            states,
            allowed,
            any(len(a) >= LEVEL_DIGITS["town"] for a in allowed),
            villages,
            tuple(sorted({s[:2] for s in states})) if wide else (),
            villages[0][1][1]
            if len(villages) == 1
            else _AnyOf(starts for _, (_, starts) in villages),
        )

    def _wider(self, head: str, provinces: tuple[str, ...], root: str) -> Step:
        """
        Look for a county or town anywhere in the provinces of cities or counties.

        A county moved to another city (公主岭市 from 四平 to 长春), or a town
        written under a county that is not its own, is still found; villages
        are not searched this way.
        """
        length, found, is_short = self._longest(head, provinces, root)
        found = frozenset(c for c in found if self._level[c] in ("county", "town"))
        return (length, found, is_short) if found else NO_STEP

    def _below(
        self,
        named: dict[str, str | set[str]],
        key: str,
        held: str | set[str] | None,
        allowed: tuple[str, ...],
        ancestors: set[str],
    ) -> set[str]:
        """Return the units `key` names in `named` (`held`) below `allowed`."""
        if held is None:
            return set()
        if isinstance(held, str):  # most names name one unit
            below = held.startswith(allowed) and held not in allowed
            return {held} if below or held in ancestors else set()
        if len(held) <= FEW_CODES:
            found = {c for c in held if c.startswith(allowed)}
        else:  # 城关镇 names a thousand towns: look up the allowed ranges
            ordered = self._ordered.get((id(named), key))
            if ordered is None:
                ordered = self._ordered[id(named), key] = sorted(held)
            found = set()
            for prefix in allowed:
                at = bisect.bisect_left(ordered, prefix)
                while at < len(ordered) and ordered[at].startswith(prefix):
                    found.add(ordered[at])
                    at += 1
        found.difference_update(allowed)  # a unit is not below itself
        return found | (held & ancestors) if ancestors else found

    def match(self, address: str, *, context: str | None = None) -> Match:
        """
        Match one address.

        Parameters
        ----------
        address
            The name or address, e.g. ``"北宽坪镇全脉村集中安置点"``.
        context
            A unit code the address lies in (e.g. the county ``"611002"``);
            names are looked up below it, and its own name or its ancestors'
            at the start of the address are skipped.

        Returns
        -------
        Match
            The units matched, or the candidates when ambiguous.
        """
        return self.match_many([address], context=context)[0]

    def match_many(
        self,
        addresses: Iterable[str],
        *,
        context: str | None = None,
        over_arrays: bool = True,
    ) -> list[Match]:
        """
        Match many addresses under one context, sharing the steps they share.

        The addresses are read in sorted order. Each step records how far
        into its text it looked (a name can be the start of a longer one);
        the next address resumes after the last step whose text it repeats,
        so a list of one county's sites reads the county once. The answers
        are those of :meth:`match` on each address alone.

        Parameters
        ----------
        addresses
            The names or addresses.
        context
            A unit code they all lie in (see :meth:`match`).
        over_arrays
            Whether a long list without a context is read over arrays first
            (:meth:`read_many`); False walks every text (those that reading
            over arrays marked `walked`). The answers are the same.

        Returns
        -------
        list[Match]
            One per address, in their order.
        """
        root = context.ljust(12, "0") if context else ""
        root = self._current.get(root, root)  # a former code: today's unit
        if root and root not in self._level:
            root = ""
        self._build_trie()
        # villages are looked up at each step once a town is reached in the text
        start: State = (0, self._node((root,))._replace(deep=False), (), 0, "")
        texts = [normalise(a) for a in addresses]
        answers: dict[str, Match] = {}
        outcomes: dict[Outcome, Match] = {}  # texts that end alike share one
        trail: list[tuple[str, State]] = []  # (text read, state after) per step
        distinct = sorted(set(texts))
        arrays = over_arrays and self._reads(distinct, root)
        reads = self._read_columns(distinct) if arrays else None
        read = self._outcomes(reads) if reads else [None] * len(distinct)
        for text, decided in zip(distinct, read, strict=True):
            end = decided
            if end is None:  # not read over arrays: walked
                while trail and not text.startswith(trail[-1][0]):
                    trail.pop()
                end = self._walk(text, root, trail[-1][1] if trail else start, trail)
            match = outcomes.get(end)
            if match is None:
                match = outcomes[end] = self._outcome(end, root)
            answers[text] = match
        return [answers[t] for t in texts]

    def _reads(self, distinct: Sequence[str], root: str = "") -> bool:
        """Whether a list is read over arrays (long enough, no context)."""
        built = self._names is not False
        return not root and len(distinct) >= (
            COLUMNS_FROM if built else COLUMNS_BUILT_FROM
        )

    def read_many(self, addresses: Sequence[str]) -> tuple[np.ndarray, Reads] | None:
        """
        Read a long list over arrays, as :meth:`match_many` reads it first.

        Parameters
        ----------
        addresses
            The names or addresses (no context).

        Returns
        -------
        tuple[numpy.ndarray, Reads] or None
            Each address's position among the distinct texts read, and what
            was read of them; None for a list that is walked (too short, or
            names that arrays cannot hold). A text marked `walked` has no
            answer here: :meth:`match_many` gives it.
        """
        texts = np.empty(len(addresses), dtype=object)
        texts[:] = [normalise(a) for a in addresses]
        at, distinct = pd.factorize(texts)
        if not self._reads(distinct):
            return None
        reads = self._read_columns(distinct.tolist())
        return (at, reads) if reads is not None else None

    def _walk(  # noqa: C901, PLR0912 (the hot loop, kept inline)
        self, text: str, root: str, state: State, trail: list[tuple[str, State]]
    ) -> Outcome:
        """
        Read `text` on from `state`, adding to `trail` the state after each step.

        A step's outcome depends on the characters it looked at, no further:
        `read` counts them (the head's next character too, which ended it),
        and a state is recorded with the text read so far only when that
        text is complete (the end of `text` not reached).
        """
        pos, node, matched, shorts, widened = state
        seen = len(trail[-1][0]) if trail else 0
        size, steps, max_key = len(text), self._steps, self._max_key
        longest_prefix = self._build_trie().longest_prefix
        while pos < size:
            window = text[pos : pos + max_key]
            head = window[: longest_prefix(window)]
            ends = self._ends.get(head)
            if ends is None:
                ends = self._ends[head] = self._ends_keys(head)
            read = pos + len(head) + (not ends)  # what ended the head, if not itself
            step = (
                steps.get((head, node.allowed, root))
                if len(head) >= MIN_KEY
                else NO_STEP
            )
            length, found, is_short = step or self._longest(head, node.allowed, root)
            if node.villages and (not length or is_short or node.deep):
                start = text[pos : pos + 2]  # no village form starts so: read 2
                if start in node.starts or start[0] in node.starts:
                    village, looked = self._village(text, pos, node.villages)
                    read = max(read, looked)
                    if village[0] > length:  # 米粮寺村 (a village) before 米粮 (a town)
                        length, found, is_short = village
                else:
                    read = max(read, pos + 2)
            if not length:
                skip = ""
                if text[pos] in PLACEHOLDER_STARTS:
                    read = max(read, pos + PLACEHOLDER_LENGTH)
                    skip = next(
                        (t for t in PLACEHOLDERS if text.startswith(t, pos)), ""
                    )
                if skip:  # 市辖区, a stray 县: they name no unit
                    pos += len(skip)
                elif not widened and not root and node.provinces:  # a context bounds
                    length, found, is_short = self._wider(head, node.provinces, root)
                    widened = ",".join(node.states) if length else ""
                    shorts += bool(length)  # a lower confidence for the detour
                if not skip and not length:
                    break
            if length:
                pos += length
                reached = self._move(found, root)
                if reached.states:  # else the context or its ancestors, written out
                    node, shorts = reached, shorts + is_short
                    if len(node.states) > MAX_CANDIDATES:
                        return pos, node.states, matched, shorts, TOO_MANY
                    if len(node.states) == 1:
                        matched = (*matched, node.states[0])
            seen = max(seen, read)
            if seen <= size:
                trail.append((text[:seen], (pos, node, matched, shorts, widened)))
        return pos, node.states, matched, shorts, widened

    def _read_columns(self, texts: list[str]) -> Reads | None:
        """
        Read texts over arrays (no context), chunk by chunk (None: they can't).

        Step by step for all texts at once, each takes the longest name that
        names units below the unit it reached; where none does, a placeholder
        (市辖区, a stray 县) is skipped as the walk skips it. A text keeps what
        is read so only while every step is one the walk takes alike: one
        unit named (several are ranked or ambiguous), no longer village form
        starting there, no wider search to try; the others are marked
        `walked`.
        """
        if self._names is False:
            self._names = self._arrays()
        if not isinstance(self._names, _columnar.Names):
            return None
        villages: dict[int, Villages] = {}  # below each unit reached, once
        # short names of villages kept as units join a full name's units
        village_units = self._leaf_digits >= LEVEL_DIGITS["village"]
        # read in the order of the texts' first characters: neighbours share
        # their first names, and their look-ups are faster together
        order = np.argsort(np.asarray(texts, dtype=f"<U{SORTED_BY}"), kind="stable")
        chunks = [
            order[first : first + COLUMNS_CHUNK]
            for first in range(0, len(texts), COLUMNS_CHUNK)
        ]
        parts = [
            self._read_chunk(
                self._names, [texts[i] for i in chunk.tolist()], villages, village_units
            )
            for chunk in chunks
        ]
        back = np.empty_like(order)
        back[order] = np.arange(len(order))  # each text's place in `order`
        walked, pos, unit, shorts = (
            np.concatenate([getattr(p, f) for p in parts])[back]
            for f in Reads._fields[:4]
        )
        steps = [
            (chunk[rows], reached)
            for chunk, part in zip(chunks, parts, strict=True)
            for rows, reached in part.steps
        ]
        return Reads(walked, pos, unit, shorts, steps)

    def _arrays(self) -> _columnar.Names | None:
        """
        Return the names as arrays (None where they cannot serve).

        Read from the cache folder where this index was built before (the
        file is named by the units indexed and the code that reads them),
        else built and kept there: the arrays of the last index built stay.
        """
        here = Path(__file__).parent
        modules = ("matcher.py", "_columnar.py", "gazetteer.py")  # variants too
        code = [(here / module).read_bytes() for module in modules]
        units = self._indexed
        columns = ("name", "short_name", "aliases", "level")
        hashed = _cache.content([units.index, *(units[c] for c in columns)])
        versions = f"numpy {np.__version__}; pandas {pd.__version__}".encode()
        key = _cache.digest([*code, versions, hashed])
        target = _cache.path(f"names-{key}.npz")
        names = _columnar.Names.read(target) if target.is_file() else None
        if names is None:
            digits = {c: LEVEL_DIGITS[self._level[c]] for c in self._units}
            names = _columnar.Names.build(self._full, self._short, digits, MIN_KEY)
            if names is not None and names.usable:
                _cache.store(target, names.write, "names-*.npz")
        return names if names is not None and names.usable else None

    def read_matches(self, reads: Reads, rows: np.ndarray) -> list[Match]:
        """
        Return the matches of texts read over arrays, as :meth:`match_many` does.

        Parameters
        ----------
        reads
            What :meth:`read_many` read.
        rows
            Texts among those read, none of them marked `walked`.

        Returns
        -------
        list[Match]
            One per row, in their order.
        """
        matches = []
        for end in self._outcomes(reads, rows):
            if end is None:
                msg = "a text marked walked has no match read over arrays"
                raise ValueError(msg)
            matches.append(self._outcome(end, ""))
        return matches

    def _outcomes(
        self, reads: Reads, rows: np.ndarray | None = None
    ) -> list[Outcome | None]:
        """Return the walk's outcome of texts read over arrays (None: walked)."""
        wanted = np.arange(len(reads.walked)) if rows is None else rows
        at = np.full(len(reads.walked), -1)
        at[wanted] = np.arange(len(wanted))  # where each text's outcome goes
        codes: dict[int, str] = {-1: ""}
        matched: list[list[str]] = [[] for _ in range(len(wanted))]
        for stepped, reached in reads.steps:
            kept = at[stepped] >= 0
            for row, code in zip(
                at[stepped][kept].tolist(), reached[kept].tolist(), strict=True
            ):
                text = codes.get(code)
                if text is None:
                    text = codes[code] = f"{code:012d}"
                matched[row].append(text)
        return [
            None if gone else (p, (codes[u],), tuple(m), n, "")
            for gone, p, u, m, n in zip(
                reads.walked[wanted].tolist(),
                reads.pos[wanted].tolist(),
                reads.unit[wanted].tolist(),
                matched,
                reads.short_names[wanted].tolist(),
                strict=True,
            )
        ]

    def _villages_at(self, code: int, known: dict[int, Villages]) -> Villages:
        """Return the village forms the walk reads below one unit (kept in `known`)."""
        villages = known.get(code)
        if villages is None:
            text = f"{code:012d}"
            prefix = text[: LEVEL_DIGITS[self._level[text]]]
            villages = known[code] = _villages_below(prefix)
        return villages

    def _read_chunk(
        self,
        names: _columnar.Names,
        texts: list[str],
        villages: dict[int, Villages],
        village_units: bool,
    ) -> Reads:
        read = _columnar.Texts(texts, PLACEHOLDERS)
        count = len(texts)
        pos, shorts = np.zeros(count, np.int64), np.zeros(count, np.int64)
        low, high = np.zeros(count, np.int64), np.full(count, _columnar.SPAN)
        unit = np.full(count, -1, np.int64)  # -1: none yet (the root)
        forms, deep, wide = np.zeros((3, count), dtype=bool)  # of the unit reached
        walked = ~read.held
        stepped: list[tuple[np.ndarray, np.ndarray]] = []  # (rows, units) per step
        leaf = 10 ** (12 - self._leaf_digits)  # units this narrow: villages only
        active = np.flatnonzero(read.held & (read.size > 0))
        while active.size:
            at = pos[active]
            length, many_full, full_code, many_short, short_code = np.zeros(
                (5, len(active)), np.int64
            )
            looked = np.flatnonzero(high[active] - low[active] > leaf)
            if looked.size:
                rows = active[looked]
                (
                    length[looked],
                    many_full[looked],
                    full_code[looked],
                    many_short[looked],
                    short_code[looked],
                ) = names.longest(read, rows, at[looked], low[rows], high[rows])
            hit, full = length > 0, many_full > 0
            is_short = hit & ~full
            # several units are ranked by level or ambiguous: the walk decides
            walk = hit & ((many_full > 1) | (is_short & (many_short > 1)))
            if village_units:
                walk |= full & (many_short > 0)
            # where the walk reads villages (no name found, a short name, at a
            # town or deeper) and a village form starts: it looks them up
            check = np.flatnonzero(
                ~walk & forms[active] & (~hit | is_short | deep[active])
            )
            rows = active[check]
            may = read.starts_village(rows, at[check], unit[rows] // 10**6)
            for i, row, here, code, name in zip(
                check[may].tolist(),
                rows[may].tolist(),
                at[check[may]].tolist(),
                unit[rows[may]].tolist(),
                length[check[may]].tolist(),
                strict=True,
            ):
                below_unit = self._villages_at(code, villages)
                best, hits, _ = self._village_forms(
                    texts[row], here, below_unit, longer_than=name
                )
                # a village's name is longer (one not imported as a unit)
                walk[i] = best > 0 and not self._units.issuperset(hits)
            # no name found: a placeholder is skipped, else a province searched
            ends = np.flatnonzero(~walk & ~hit)
            skip = read.placeholder(active[ends], at[ends])
            skipped = active[ends[skip > 0]]
            pos[skipped] += skip[skip > 0]
            walk[ends] = (skip == 0) & wide[active[ends]]
            walked[active[walk]] = True
            on = hit & ~walk
            rows, reached = active[on], np.where(full, full_code, short_code)[on]
            # how the walk reads on from the unit reached (as its `Node` says):
            # villages (a county or deeper with forms), a town or deeper, a
            # city or county (a name not found below it: in its province)
            below = names.width(reached)
            counties = reached // 10**6
            forms[rows] = (below <= COUNTY_WIDTH) & _columnar.has_villages(counties)
            deep[rows] = below <= TOWN_WIDTH
            wide[rows] = np.isin(below, WIDE_WIDTHS)
            pos[rows] += length[on]
            shorts[rows] += is_short[on]
            unit[rows] = low[rows] = reached
            high[rows] = reached + below
            stepped.append((rows, reached))
            rows = np.concatenate([rows, skipped])  # read on after a placeholder
            active = rows[pos[rows] < read.size[rows]]
        return Reads(walked, pos, unit, shorts, stepped)

    def _outcome(self, end: Outcome, root: str) -> Match:
        """Return the match of a walk that ended so."""
        pos, states, matched, shorts, widened = end
        if widened == TOO_MANY:
            first = list(states[:MAX_CANDIDATES])
            return Match("ambiguous", root or None, list(matched), first, pos, shorts)
        if states == (root,):
            return Match("unmatched", root or None, [], [], 0, 0)
        if len(states) == 1:
            return Match("matched", states[0], list(matched), [], pos, shorts, widened)
        same = self._same_place(states)
        if same is not None:
            return Match("matched", same, [*matched, same], list(states), pos, shorts)
        common = _common_ancestor(states, self._level)
        return Match("ambiguous", common, list(matched), list(states), pos, shorts)

    def _same_place(self, codes: Sequence[str]) -> str | None:
        """One place under several codes (renumbered): the newest code, else None."""
        levels = {self._level[c] for c in codes}
        if len(levels) != 1:
            return None
        (level,) = levels
        parent_digits = LEVEL_DIGITS[LEVELS[LEVELS.index(level) - 1]]
        keys = {(c[:parent_digits], self._short_of[c]) for c in codes}
        if len(keys) != 1:
            return None
        return max(codes, key=lambda c: ("@" not in c, self._vintage[c], c))


def _villages_below(prefix: str) -> tuple[tuple[str, _national.CountyForms], ...]:
    """Return the village forms read below a unit's code prefix (county or deeper)."""
    if len(prefix) < LEVEL_DIGITS["county"]:
        return ()
    forms = _national.village_forms(prefix[:6])
    return ((prefix, forms),) if forms is not None else ()


class _AnyOf:
    """Containers of which any may hold an item."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[Container[str]]) -> None:
        self.parts = tuple(parts)

    def __contains__(self, item: object) -> bool:
        return any(item in c for c in self.parts)


def _add(named: dict[str, str | set[str]], key: str, code: str) -> None:
    """Index `code` under `key`: the code alone, a set once a second comes."""
    held = named.setdefault(key, code)
    if held == code:
        return
    if isinstance(held, str):
        named[key] = {held, code}
    else:
        held.add(code)


def _common_ancestor(codes: Sequence[str], level: dict[str, str]) -> str | None:
    for lv in reversed(LEVELS):
        digits = LEVEL_DIGITS[lv]
        heads = {c[:digits] for c in codes}
        if len(heads) == 1:
            candidate = next(iter(heads)).ljust(12, "0")
            if candidate in level and candidate not in codes:
                return candidate
    return None


def confidence(match: Match, *, point_levels_up: int) -> float:
    """
    Score a match between 0 and 1.

    Parameters
    ----------
    match
        The match.
    point_levels_up
        How many levels above the matched unit the point had to be taken.

    Returns
    -------
    float
        1.0 for full names placed at the unit itself; lower for short names,
        parent points and context-only rows; 0 for ambiguous or unmatched.
    """
    if match.status != "matched":
        return 0.0
    return matched_confidence(match.short_names, point_levels_up=point_levels_up)


def matched_confidence(short_names: int, *, point_levels_up: int) -> float:
    """
    Score a unit matched by `short_names` short names between 0 and 1.

    Parameters
    ----------
    short_names
        How many of the names read were short names (商州 for 商州区).
    point_levels_up
        How many levels above the matched unit the point had to be taken.

    Returns
    -------
    float
        1.0 for full names placed at the unit itself, lower for each short
        name and each level walked up.
    """
    score = CONFIDENCE_FULL * CONFIDENCE_SHORT**short_names
    return round(float(score * CONFIDENCE_PARENT_POINT**point_levels_up), 3)
