"""Numbers users write (options, analysis files), refused early when impossible.

Each parser raises :class:`argparse.ArgumentTypeError` with what is expected,
so the command line and the analysis-file checks say the same thing.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def positive(text: str) -> float:
    """Parse a number greater than zero (metres, seconds)."""
    return _parse(text, float, lambda v: v > 0, "must be greater than 0")


def share(text: str) -> float:
    """Parse a share in (0, 1], e.g. 0.9 for 90%."""
    rule = "must be a share between 0 and 1 (0.9 for 90%)"
    return _parse(text, float, lambda v: 0 < v <= 1, rule)


def count(text: str) -> int:
    """Parse a whole number of at least 1."""
    return _parse(text, int, lambda v: v >= 1, "must be at least 1")


def _parse(text: str, kind: type[N], ok: Callable[[N], bool], rule: str) -> N:
    """Read `text` as `kind`, finite, then hold it to `rule`."""
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        msg = f"must be {what}, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not math.isfinite(value):
        msg = f"must be a finite number, got {text}"
        raise argparse.ArgumentTypeError(msg)
    if not ok(value):
        msg = f"{rule}, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value
