"""Numbers users write (options, analysis files), refused early when impossible.

Each parser raises :class:`argparse.ArgumentTypeError` with what is expected,
so the command line and the analysis-file checks say the same thing.
"""

from __future__ import annotations

import argparse
import math


def positive(text: str) -> float:
    """Parse a number greater than zero (metres, seconds)."""
    value = _number(text)
    if not value > 0:
        msg = f"must be greater than 0, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def share(text: str) -> float:
    """Parse a share in (0, 1], e.g. 0.9 for 90%."""
    value = _number(text)
    if not 0 < value <= 1:
        msg = f"must be a share between 0 and 1 (0.9 for 90%), got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def count(text: str) -> int:
    """Parse a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        msg = f"must be a whole number, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if value < 1:
        msg = f"must be at least 1, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"must be a number, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not math.isfinite(value):
        msg = f"must be a finite number, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value
