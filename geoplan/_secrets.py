"""Secrets never reach a message, a log line or an output file.

Keys travel in URLs (天地图 ``tk=``, 高德 ``key=``), database passwords in
connection strings. :func:`redact` replaces them with ``***``; the command
line passes every error message and log record through it.
"""

from __future__ import annotations

import logging
import os
import re

#: Query parameters that carry credentials.
SECRET_PARAMS = (
    "tk",
    "key",
    "ak",
    "sk",
    "token",
    "access_token",
    "apikey",
    "api_key",
    "password",
    "secret",
    "sig",
)
#: Environment variables whose values are secrets (by name).
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD", re.IGNORECASE)
_PARAM = re.compile(r"(?i)([?&;](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s'\"]+")
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@/\s]+@", re.IGNORECASE)
_KEYVALUE = re.compile(r"(?i)\b(password|passwd)\s*=\s*('[^']*'|\S+)")
MASK = "***"


def redact(text: object) -> str:
    """
    Return `text` with credentials replaced by ``***``.

    Parameters
    ----------
    text
        A message, URL or log line.

    Returns
    -------
    str
        URL parameters such as ``tk=``/``key=``, passwords in ``scheme://user:
        password@host`` and ``password=…``, and the values of environment
        variables named like keys (``AMAP_KEY``, ``PGPASSWORD``…) masked.

    Examples
    --------
    >>> redact("http://api.tianditu.gov.cn/geocoder?ds=x&tk=abc123")
    'http://api.tianditu.gov.cn/geocoder?ds=x&tk=***'
    >>> redact("postgresql://planner:s3cret@db/geo")
    'postgresql://planner:***@db/geo'
    """
    out = _PARAM.sub(rf"\1{MASK}", str(text))
    out = _USERINFO.sub(rf"\1{MASK}@", out)
    out = _KEYVALUE.sub(rf"\1={MASK}", out)
    for name, value in os.environ.items():
        if len(value) >= 6 and _SECRET_NAME.search(name) and value in out:
            out = out.replace(value, MASK)
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; always keep it."""
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def redact_logging() -> None:
    """Attach :class:`RedactingFilter` to every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
