"""Files built once and kept in ``settings.cache_folder``, named by their sources.

A file's name carries digests of all it is built from, so a change to any of
them names another file; a file that cannot be written leaves the work
uncached, never failed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa

from geoplan import settings

logger = logging.getLogger(__name__)


def digest(parts: Iterable[bytes]) -> str:
    """Return a short hex digest of `parts`, in order."""
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(len(part).to_bytes(8, "little"))  # b"ab", b"c" != b"a", b"bc"
        hashed.update(part)
    return hashed.hexdigest()[:16]


def content(columns: Iterable[object]) -> bytes:
    """
    Return a digest of columns' values (pandas objects) as Arrow holds them.

    The buffers are read as they are, with each array's type, offset and
    length: equal values held alike give equal digests, a difference gives
    another (values held differently only cost a cache miss).
    """
    hashed = hashlib.sha256()
    for column in columns:
        try:
            values = pa.array(column)  # arrow-backed strings: no copy
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds of values
            values = pa.array(pd.util.hash_pandas_object(pd.Series(column)))
        chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
        for chunk in chunks:
            hashed.update(f"{chunk.type} {chunk.offset} {len(chunk)};".encode())
            for buffer in chunk.buffers():
                hashed.update(b"-" if buffer is None else memoryview(buffer))
    return hashed.digest()


def path(name: str) -> Path:
    """Return where the cached file `name` is kept."""
    return Path(settings.cache_folder) / name


def store(target: Path, write: Callable[[Path], None], stale: str) -> None:
    """
    Write `target` by `write` (to a part file moved into place); best effort.

    Files of the folder matching the glob `stale` (built from sources that
    changed since) are removed once `target` is in place.
    """
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(part)
        part.replace(target)
    except OSError as exc:
        logger.info("Not cached (%s: %s)", target, exc)
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        return
    for old in target.parent.glob(stale):
        if old != target:  # never read again
            with contextlib.suppress(OSError):
                old.unlink(missing_ok=True)
