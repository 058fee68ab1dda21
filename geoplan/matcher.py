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

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .gazetteer import (
    LEVEL_DIGITS,
    LEVELS,
    VARIANT_SUFFIXES,
    Gazetteer,
    plain_village_name,
)

MIN_KEY = 2
MAX_CANDIDATES = 64
CONFIDENCE_FULL = 1.0
CONFIDENCE_SHORT = 0.9
CONFIDENCE_PARENT_POINT = 0.8


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
    """What the matcher found for one address."""

    status: str  # matched / ambiguous / unmatched
    code: str | None = None  # deepest unit matched (or common ancestor)
    units: list[str] = field(default_factory=list)  # codes matched in the text
    candidates: list[str] = field(default_factory=list)
    consumed: int = 0
    short_names: int = 0


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
        units = gazetteer.units
        codes = units.index.tolist()
        column = {c: units[c].tolist() for c in ("name", "short_name", "aliases")}
        levels = units["level"].tolist()
        self._level = dict(zip(codes, levels, strict=True))
        self._short_of = dict(zip(codes, column["short_name"], strict=True))
        self._vintage = dict(zip(codes, units["vintage"].tolist(), strict=True))
        self._full: dict[str, set[str]] = defaultdict(set)
        self._short: dict[str, set[str]] = defaultdict(set)
        for code, name, short, aliases, level in zip(
            codes,
            column["name"],
            column["short_name"],
            column["aliases"],
            levels,
            strict=True,
        ):
            fulls = [name, *[a for a in aliases.split(";") if a]]
            if level == "village":
                fulls += [plain_village_name(f) for f in fulls]
            for full in fulls:
                self._full[full].add(code)
            if len(short) >= MIN_KEY:
                for variant in (short, *(short + s for s in VARIANT_SUFFIXES[level])):
                    if variant not in self._full or code not in self._full[variant]:
                        self._short[variant].add(code)
        # the key lengths that start with each character, longest first
        lengths: dict[str, set[int]] = defaultdict(set)
        for key in (*self._full, *self._short):
            if len(key) >= MIN_KEY:
                lengths[key[0]].add(len(key))
        self._lengths = {c: sorted(n, reverse=True) for c, n in lengths.items()}
        self._keys = frozenset((*self._full, *self._short))

    def _prefix(self, code: str) -> str:
        return code[: LEVEL_DIGITS[self._level[code]]] if code else ""

    def _longest(
        self, text: str, pos: int, allowed: tuple[str, ...], ancestors: set[str]
    ) -> tuple[int, set[str], bool]:
        """Longest key at `pos` naming a unit below `allowed` (or an ancestor)."""
        room = len(text) - pos
        for length in self._lengths.get(text[pos], ()):
            if length > room:
                continue
            key = text[pos : pos + length]
            if key not in self._keys:
                continue
            full_codes, short_codes = self._full.get(key), self._short.get(key)
            full = self._below(full_codes or (), allowed, ancestors)
            short = self._below(short_codes or (), allowed, ancestors)
            if full or short:
                # a full name beats a short one, except between villages, whose
                # committee suffixes make 王村委会 and 王村村委会 both 王村; and
                # a town's name beats a village inside it named alike
                villages = {c for c in short if self._level[c] == "village"}
                below = (full | villages) if full else short
                depth = {c: LEVELS.index(self._level[c]) for c in below}
                top = {c for c in below if depth[c] == min(depth.values())}
                return length, top, not (top & full)
        return 0, set(), False

    @staticmethod
    def _below(
        codes: Iterable[str], allowed: tuple[str, ...], ancestors: set[str]
    ) -> set[str]:
        return {
            c
            for c in codes
            if c in ancestors or any(c != a and c.startswith(a) for a in allowed)
        }

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
        text = normalise(address)
        root = context.ljust(12, "0") if context else ""
        if root and root not in self._level:
            root = ""
        ancestors = set(self.gazetteer.path(root)) if root else set()
        states = [root]
        matched: list[str] = []
        pos = shorts = 0
        while pos < len(text):
            allowed = tuple(self._prefix(s) for s in states)
            length, found, is_short = self._longest(text, pos, allowed, ancestors)
            if not length:
                break
            pos += length
            deeper = found - ancestors
            if not deeper:  # the context itself or its ancestors, written out
                continue
            shorts += is_short
            states = sorted(deeper)
            if len(states) > MAX_CANDIDATES:
                first = states[:MAX_CANDIDATES]
                return Match("ambiguous", root or None, matched, first, pos, shorts)
            if len(states) == 1:
                matched.append(states[0])
        if states == [root]:
            return Match("unmatched", root or None, [], [], 0, 0)
        if len(states) == 1:
            return Match("matched", states[0], matched, [], pos, shorts)
        same = self._same_place(states)
        if same is not None:
            return Match("matched", same, [*matched, same], states, pos, shorts)
        common = _common_ancestor(states, self._level)
        return Match("ambiguous", common, matched, states, pos, shorts)

    def _same_place(self, codes: list[str]) -> str | None:
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


def _common_ancestor(codes: list[str], level: dict[str, str]) -> str | None:
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
    score = CONFIDENCE_FULL * CONFIDENCE_SHORT**match.short_names
    return round(float(score * CONFIDENCE_PARENT_POINT**point_levels_up), 3)
