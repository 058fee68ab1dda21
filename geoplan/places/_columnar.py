"""The matcher's name look-ups for a whole list at once, over arrays.

A long list is read step by step for all its texts together: at each step, the
longest name at each text's position that names a unit below the unit reached
(a range of codes: a unit's code padded with zeros is the least of the codes
below it) is found with array operations, not one text at a time. The matcher
decides, step by step, which texts read this way stay exactly as its walk would
read them (`Matcher.match_many`); the others are walked.

Names are found by polynomial hashes of the texts' prefixes (modulo 2**64), and
every hit is confirmed character by character, so a hash collision can cost a
look-up but never give a wrong name.
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.places import _national

BASE = np.uint64(1_000_003)
#: Characters of a text the arrays hold; longer texts are left to the walk.
WIDTH = 64
#: A code is below a name as name number * SPAN + code (codes have 12 digits).
SPAN = 10**12
POWERS = np.concatenate(
    [[np.uint64(1)], np.cumprod(np.full(WIDTH, BASE, dtype=np.uint64))]
)


def _code_points(texts: object, width: int) -> np.ndarray:
    """Texts as a rows × width array of code points (0 past each text's end)."""
    array = np.asarray(texts, dtype=f"<U{width}")
    return array.view(np.uint32).reshape(len(array), width)


def _prefix_hashes(points: np.ndarray) -> np.ndarray:
    """
    Hashes of each row's first k characters, for k = 0 … width.

    Rows × (width + 1), held a position at a time (the transpose of a
    C-ordered array): each step below reads one position of every row.
    """
    by_position = np.zeros((points.shape[1] + 1, points.shape[0]), dtype=np.uint64)
    columns = np.ascontiguousarray(points.T)
    with np.errstate(over="ignore"):  # they wrap around 2**64 by design
        for k in range(points.shape[1]):
            np.multiply(by_position[k], BASE, out=by_position[k + 1])
            by_position[k + 1] += columns[k]
    return by_position.T


def _flat(
    named: Mapping[str, str | set[str]], min_key: int, as_number: Mapping[str, int]
) -> tuple[list[str], list[int]]:
    """Each (name, code) of an index, names at least `min_key` long."""
    keys: list[str] = []
    codes: list[int] = []
    for key, held in named.items():
        if len(key) < min_key:
            continue
        if isinstance(held, str):
            keys.append(key)
            codes.append(as_number[held])
        else:
            keys += [key] * len(held)
            codes += [as_number[c] for c in held]
    return keys, codes


def _sorted_pairs(
    numbers: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (name number * SPAN + code) sorted, and the codes in that order."""
    pairs = numbers.astype(np.int64) * SPAN + codes
    order = np.argsort(pairs)
    return pairs[order], codes[order]


@functools.cache
def village_starts(county: int) -> np.ndarray:
    """Return how a county's village forms start, as sorted keys (`_start_key`)."""
    forms = _national.village_forms(f"{county:06d}")
    starts = forms[1] if forms is not None else ()
    return np.sort(np.array([_start_key(s) for s in starts], dtype=np.int64))


#: The counties whose village starts are gathered, and those starts (county
#: << 42 | start key) as a hash index; grown as counties are reached.
_GATHERED: list[tuple[np.ndarray, pd.Index]] = [
    (np.zeros(0, dtype=np.int64), pd.Index(np.zeros(0, dtype=np.int64)))
]


def _village_keys(counties: np.ndarray) -> pd.Index:
    """Return the keys (county << 42 | start key) of at least these counties."""
    gathered, keys = _GATHERED[0]
    missing = np.setdiff1d(counties, gathered)
    if missing.size:  # (a lost race with another thread only costs this again)
        new = [village_starts(c) + (c << 42) for c in missing.tolist()]
        keys = pd.Index(np.concatenate([keys.to_numpy(), *new]))
        _GATHERED[0] = np.union1d(gathered, missing), keys
    return keys


def has_villages(counties: np.ndarray) -> np.ndarray:
    """Whether each six-digit county code has shipped villages."""
    known, provinces = _COUNTIES_WITH_VILLAGES
    for province in np.unique(counties // 10_000).tolist():
        if province not in provinces:  # (twice in a race: the same values)
            known[_national.village_counties(f"{province:02d}")] = True
            provinces.add(province)
    return known[counties]


#: Whether each six-digit county code has shipped villages, for the provinces
#: looked at so far.
_COUNTIES_WITH_VILLAGES = (np.zeros(10**6, dtype=bool), set[int]())


def _start_key(start: str) -> int:
    """Return a form's first two characters (or one) as one number."""
    return ord(start[0]) << 21 | (ord(start[1]) if len(start) > 1 else 0)


class Texts:
    """
    A list's texts as code points and prefix hashes.

    Parameters
    ----------
    texts
        The texts (normalised).
    placeholders
        The placeholders the walk skips where no name is found, first the
        one it tries first.
    """

    def __init__(self, texts: list[str], placeholders: Iterable[str]) -> None:
        self.size = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        #: Texts the arrays hold whole; the rest are left to the walk.
        self.held = self.size <= WIDTH
        if not self.held.all():
            texts = [
                t if h else "" for t, h in zip(texts, self.held.tolist(), strict=True)
            ]
        width = int(self.size[self.held].max(initial=0)) + 1  # a 0 after each
        self.points = _code_points(texts, width)
        self.hashes = _prefix_hashes(self.points)
        self.placeholders = [
            np.array([ord(c) for c in p], dtype=np.uint32) for p in placeholders
        ]

    def placeholder(self, rows: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Return the length of the placeholder at `at` of each row (0: none)."""
        length = np.zeros(len(rows), dtype=np.int64)
        for chars in self.placeholders:
            n = len(chars)
            open_ = np.flatnonzero((length == 0) & (self.size[rows] - at >= n))
            spans = at[open_, None] + np.arange(n)
            same = (self.points[rows[open_, None], spans] == chars).all(axis=1)
            length[open_[same]] = n
        return length

    def starts_village(
        self, rows: np.ndarray, at: np.ndarray, counties: np.ndarray
    ) -> np.ndarray:
        """Whether a village form of each row's county may start at `at`."""
        if not rows.size:
            return np.zeros(0, dtype=bool)
        keys = _village_keys(np.unique(counties))
        first = (counties << 42) | (self.points[rows, at].astype(np.int64) << 21)
        two = keys.get_indexer(first | self.points[rows, at + 1]) >= 0
        return two | (keys.get_indexer(first) >= 0)  # or a one-character form


def _named(
    pairs: tuple[np.ndarray, np.ndarray],
    codes: np.ndarray,
    names: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """How many codes in [low, high) each name names, and the least of them."""
    sorted_pairs, runs = pairs  # each name's codes: one run of the sorted pairs
    first, last = runs[names], runs[names + 1]
    least = codes[np.minimum(first, max(len(codes) - 1, 0))] if codes.size else first
    many = ((last > first) & (least >= low) & (least < high)).astype(np.int64)
    several = np.flatnonzero(last - first > 1)  # most names name one unit
    if several.size:
        name = names[several] * SPAN
        first = np.searchsorted(sorted_pairs, name + low[several])
        many[several] = np.searchsorted(sorted_pairs, name + high[several]) - first
        least[several] = codes[np.minimum(first, len(codes) - 1)]
    return many, least


def _start_keys(points: np.ndarray, rows: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return the three characters from `at` of each row as one number."""
    third = np.minimum(at + 2, points.shape[1] - 1)  # past the end: a 0
    return (
        points[rows, at].astype(np.int64) << 42
        | points[rows, at + 1].astype(np.int64) << 21
        | points[rows, third]
    )


class Names:
    """
    The matcher's names as arrays: for each name, the codes it names.

    Built from a matcher's indexes by :meth:`build`, or read back by
    :meth:`read` from a file :meth:`write` wrote.

    Parameters
    ----------
    arrays
        The :data:`FIELDS`.
    """

    #: The arrays a Names is made of (a file holds them, nothing else).
    FIELDS = (
        "full_pairs",
        "full_runs",
        "full_codes",
        "short_pairs",
        "short_runs",
        "short_codes",
        "codes",
        "widths",
        "lengths",
        "characters",
        "hashes",
        "starts",
        "start_longest",
    )

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays: dict[str, Any] = {f: arrays[f] for f in self.FIELDS}
        #: ((name number * SPAN + code) sorted, where each name's run of them
        #: starts), and the codes in that order; for the full and short names.
        self.full = (arrays["full_pairs"], arrays["full_runs"]), arrays["full_codes"]
        self.short = (
            (arrays["short_pairs"], arrays["short_runs"]),
            arrays["short_codes"],
        )
        #: Every unit's code, sorted, and how many codes lie below it.
        self.codes, self.widths = arrays["codes"], arrays["widths"]
        self._code_index = pd.Index(self.codes)  # looked up by hash
        lengths, hashes = arrays["lengths"], arrays["hashes"]
        held = np.arange(max(int(lengths.max(initial=0)), 1)) < lengths[:, None]
        #: Each name's code points (0 past its end).
        self.points = np.zeros(held.shape, dtype=np.uint32)
        self.points[held] = arrays["characters"]
        #: Longest first: (length, hashes of the names this long, their numbers).
        self.by_length = [
            (n, pd.Index(hashes[lengths == n]), np.flatnonzero(lengths == n))
            for n in np.unique(lengths)[::-1].tolist()
        ]
        #: The first three characters of names (as one number; a name of two:
        #: 0 as third), sorted, and the longest name starting with them.
        self.starts = pd.Index(arrays["starts"])  # looked up by hash
        self.start_longest = arrays["start_longest"]
        #: Whether the arrays serve: no two names hashed alike, no key twice.
        self.usable = all(index.is_unique for _, index, _ in self.by_length) and (
            self.starts.is_unique and self._code_index.is_unique
        )

    @classmethod
    def build(
        cls,
        full: Mapping[str, str | set[str]],
        short: Mapping[str, str | set[str]],
        digits: Mapping[str, int],
        min_key: int,
    ) -> Names | None:
        """
        Build the arrays of a matcher's indexes.

        Parameters
        ----------
        full, short
            The matcher's indexes: name -> a code, or a set of codes.
        digits
            The code digits of each unit's level.
        min_key
            The shortest name looked up.

        Returns
        -------
        Names or None
            None where arrays cannot serve: a code not of 12 digits (a former
            code kept beside its namesake, ``…@2016``).
        """
        if not all(len(c) == 12 and c.isdigit() for c in digits):
            return None
        as_number = {code: int(code) for code in digits}
        full_keys, full_codes = _flat(full, min_key, as_number)
        short_keys, short_codes = _flat(short, min_key, as_number)
        numbers, keys = pd.factorize(np.array(full_keys + short_keys, dtype=object))
        codes = np.array(full_codes + short_codes, dtype=np.int64)
        split = len(full_keys)
        full_pairs, full_order = _sorted_pairs(numbers[:split], codes[:split])
        short_pairs, short_order = _sorted_pairs(numbers[split:], codes[split:])
        starts_of_names = np.arange(len(keys) + 1, dtype=np.int64) * SPAN
        units = np.fromiter(as_number.values(), dtype=np.int64, count=len(as_number))
        order = np.argsort(units)
        levels = np.fromiter(digits.values(), dtype=np.int64, count=len(digits))
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        points = _code_points(keys, max(int(lengths.max(initial=0)), 1))
        every = np.arange(len(points))
        hashes = _prefix_hashes(points)[every, lengths]  # each name's own, whole
        held = np.arange(points.shape[1]) < lengths[:, None]
        # the longest name of each first three characters (two: 0 as third)
        firsts = _start_keys(points, every, np.zeros_like(every))
        starts, start_of = np.unique(firsts, return_inverse=True)
        start_longest = np.zeros(len(starts), dtype=np.int64)
        np.maximum.at(start_longest, start_of.reshape(-1), lengths)
        return cls(
            {
                "full_pairs": full_pairs,
                "full_runs": np.searchsorted(full_pairs, starts_of_names),
                "full_codes": full_order,
                "short_pairs": short_pairs,
                "short_runs": np.searchsorted(short_pairs, starts_of_names),
                "short_codes": short_order,
                "codes": units[order],
                "widths": (10 ** (12 - levels))[order],
                "lengths": lengths,
                "characters": points[held],
                "hashes": hashes,
                "starts": starts,
                "start_longest": start_longest,
            }
        )

    def write(self, path: Path) -> None:
        """
        Write the arrays to `path` (numpy's ``.npz``, no pickled objects).

        Parameters
        ----------
        path
            The file.
        """
        with path.open("wb") as handle:
            np.savez(handle, **self.arrays)

    @classmethod
    def read(cls, path: Path) -> Names | None:
        """
        Read arrays :meth:`write` wrote; None when the file does not hold them.

        Parameters
        ----------
        path
            The file.

        Returns
        -------
        Names or None
            The arrays, or None for a missing, damaged or foreign file.
        """
        try:
            with path.open("rb") as handle, np.load(handle, allow_pickle=False) as held:
                arrays = {field: held[field] for field in cls.FIELDS}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        lengths, integers = arrays["lengths"], np.dtype(np.int64)
        fits = (
            all(a.ndim == 1 for a in arrays.values())
            and all(
                arrays[f].dtype == integers
                for f in cls.FIELDS
                if f not in ("characters", "hashes")
            )
            and arrays["characters"].dtype == np.uint32
            and arrays["hashes"].dtype == np.uint64
            and len(arrays["hashes"]) == len(lengths)
            and int(lengths.sum()) == len(arrays["characters"])
            and bool((lengths > 0).all())
            and len(arrays["full_pairs"]) == len(arrays["full_codes"])
            and len(arrays["short_pairs"]) == len(arrays["short_codes"])
            and len(arrays["full_runs"]) == len(lengths) + 1
            and len(arrays["short_runs"]) == len(lengths) + 1
            and len(arrays["codes"]) == len(arrays["widths"])
            and len(arrays["starts"]) == len(arrays["start_longest"])
        )
        return cls(arrays) if fits else None

    def width(self, codes: np.ndarray) -> np.ndarray:
        """Return how many codes lie below each unit (itself included)."""
        return self.widths[self._code_index.get_indexer(codes)]

    def longest(
        self,
        texts: Texts,
        rows: np.ndarray,
        pos: np.ndarray,
        low: np.ndarray,
        high: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """
        Find the longest name at `pos` of each row naming codes in [low, high).

        Returns its length (0: none), then for the full names and the short
        names it is: how many codes it names there, and the least of them.
        """
        count = len(rows)
        length = np.zeros(count, dtype=np.int64)
        full_n, short_n = np.zeros(count, np.int64), np.zeros(count, np.int64)
        full_code, short_code = np.zeros(count, np.int64), np.zeros(count, np.int64)
        # no name is longer than the longest of its first three characters,
        # or two where a name of two characters is there
        firsts = _start_keys(texts.points, rows, pos)
        three, two = (self.starts.get_indexer(k) for k in (firsts, firsts >> 21 << 21))
        bound = np.maximum(
            np.where(three >= 0, self.start_longest[three], 0),
            np.where(two >= 0, self.start_longest[two], 0),
        )
        room = np.minimum(texts.size[rows] - pos, bound)
        # where each row's name starts, in the flat hashes (held a position
        # at a time: no copy) and code points
        hashes, points = texts.hashes.T.reshape(-1), texts.points.reshape(-1)
        step = texts.hashes.shape[0]  # from one position to the next
        in_hashes = pos * step + rows
        in_points = rows * texts.points.shape[1] + pos
        start = hashes[in_hashes]
        for n, index, numbers in self.by_length:
            open_ = np.flatnonzero((length == 0) & (room >= n))
            if not open_.size:
                continue
            with np.errstate(over="ignore"):
                hashed = hashes[in_hashes[open_] + n * step] - start[open_] * POWERS[n]
            found = index.get_indexer(hashed)
            hit = found >= 0
            open_, name = open_[hit], numbers[found[hit]]
            spans = in_points[open_, None] + np.arange(n)  # confirm: the same text
            same = (points[spans] == self.points[name, :n]).all(axis=1)
            open_, name = open_[same], name[same]
            (many_full, least_full), (many_short, least_short) = (
                _named(pairs, codes, name, low[open_], high[open_])
                for pairs, codes in (self.full, self.short)
            )
            some = (many_full > 0) | (many_short > 0)
            open_ = open_[some]
            length[open_] = n
            full_n[open_], full_code[open_] = many_full[some], least_full[some]
            short_n[open_] = many_short[some]
            short_code[open_] = least_short[some]
        return length, full_n, full_code, short_n, short_code
