"""The installed version of geoplan ("0.0.0" when run from a source tree)."""

from __future__ import annotations

import contextlib
from importlib.metadata import PackageNotFoundError, version

__version__ = "0.0.0"
with contextlib.suppress(PackageNotFoundError):  # works when not installed
    __version__ = version("geoplan")
