"""Stage messages for long work, on stderr so that printed tables stay clean."""

from __future__ import annotations

import sys
import time

from geoplan import settings

_started = time.perf_counter()


def step(message: str) -> None:
    """
    Report a stage of the work, with the seconds since the command began.

    Parameters
    ----------
    message
        What is starting, e.g. ``"读取路网 reading the street network"``.
    """
    if settings.show_progress:
        elapsed = time.perf_counter() - _started
        print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)


def note(message: str, notes: list[str] | None = None) -> None:
    """
    Say something the user should know now (on stderr), and keep it.

    Parameters
    ----------
    message
        The note, e.g. that some candidates have no location.
    notes
        A result's list of notes to append the message to.
    """
    print(message, file=sys.stderr, flush=True)
    if notes is not None:
        notes.append(message)
