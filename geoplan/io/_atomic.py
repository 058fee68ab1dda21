"""Atomic file writes: a file is either the previous one or the new one, whole.

Every writer builds its file beside the target (a hidden ``.<name>.tmp-<pid>``
file in the same folder), flushes it to disk, and renames it over the target.
An interrupted run, a full disk or an error leaves the previous file as it
was; temporary files of earlier runs that were killed are removed.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from geoplan.errors import GeoplanError

logger = logging.getLogger(__name__)


class WriteError(GeoplanError, OSError):
    """A file could not be written (full disk, no permission); nothing was replaced."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(path: Path) -> None:
    """
    Delete temporary files that killed writers left beside `path`.

    Parameters
    ----------
    path
        The target file.
    """
    for stale in Path(path).parent.glob(glob.escape(f".{Path(path).name}") + ".tmp-*"):
        pid = stale.name.rsplit("tmp-", 1)[-1].split(".")[0].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            logger.info("Removing %s, left by an interrupted write", stale)
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                stale.unlink()


@contextlib.contextmanager
def atomic_path(path: Path | str, *, suffix: str = "") -> Iterator[Path]:
    """
    Yield a temporary path beside `path`; move it into place when the block ends.

    Parameters
    ----------
    path
        The target file; its folder is created when missing.
    suffix
        An extension the temporary file must keep (GDAL picks drivers by it).

    Yields
    ------
    pathlib.Path
        Where to write. Left behind never: removed on any error.

    Raises
    ------
    WriteError
        When the disk is full or the folder cannot be written; the previous
        file is left as it was.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target)
    except OSError as error:
        raise _write_error(target, error) from None
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}{suffix}")
    try:
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        tmp.replace(target)
    except OSError as error:
        raise _write_error(target, error) from None
    except Exception as error:
        # GDAL and other libraries report a full disk in their own exceptions
        if _nearly_full(target.parent):
            full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            raise _write_error(target, full) from error
        raise
    finally:
        # the file and what libraries build beside it (SQLite journals, GDAL's
        # temporary R-tree databases)
        for part in target.parent.glob(
            glob.escape(tmp.name.removesuffix(suffix)) + "*"
        ):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                part.unlink()


#: Free space below which a failed write is put down to a full disk.
_FULL_BYTES = 1 << 20


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < _FULL_BYTES
    except OSError:
        return False


def _write_error(target: Path, error: OSError) -> WriteError:
    if error.errno == errno.ENOSPC:
        why = "the disk is full"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the folder cannot be written (no permission or read-only)"
    else:
        why = error.strerror or str(error)
    return WriteError(
        f"{target}: could not be written: {why}; the previous file, if any, is "
        "left as it was. Free some space or choose another output folder."
    )


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    """
    Write bytes to `path` atomically.

    Parameters
    ----------
    path
        The target file.
    data
        Its new content.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: Path | str, text: str, *, encoding: str = "utf-8") -> Path:
    """Write `text` atomically in `encoding` (``utf-8-sig`` for CSVs Excel opens)."""
    return atomic_write_bytes(path, text.encode(encoding))
