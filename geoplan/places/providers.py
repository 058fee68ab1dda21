"""Online geocoders behind the offline matcher, used only when configured.

Three providers, each built to its documented HTTP contract:

- :class:`Tianditu` (天地图 ``/geocoder?ds={"keyWord": ...}&tk=KEY``; CGCS2000,
  treated as WGS-84); key from the argument or ``TIANDITU_KEY``;
- :class:`AMap` (高德 ``/v3/geocode/geo?address=...&key=KEY``; GCJ-02, converted
  to WGS-84); key from the argument or ``AMAP_KEY``;
- :class:`Nominatim` (OpenStreetMap ``/search?q=...&format=jsonv2``; WGS-84;
  at most one request per second, with a User-Agent).

Every provider keeps an on-disk cache (SQLite, one row per query), waits
between requests (rate limit), retries transient failures with back-off, and
raises :class:`~geoplan.errors.ProviderError` with what to check when the
service cannot be reached, or :class:`~geoplan.errors.QuotaError` when it
refuses for quota reasons.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoplan import settings
from geoplan._secrets import redact
from geoplan.errors import ProviderError, QuotaError
from geoplan.places.coords import CoordSystem, convert

logger = logging.getLogger(__name__)

USER_AGENT = "geoplan (civil-affairs facility coverage planner)"

#: Provider match levels (as the services name them) mapped to geoplan precision.
LEVELS_ZH = {
    "省": "province",
    "市": "city",
    "区县": "county",
    "区/县": "county",
    "开发区": "town",
    "乡镇": "town",
    "村庄": "village",
    "热点商圈": "address",
    "兴趣点": "address",
    "门址": "address",
    "门牌号": "address",
    "单元号": "address",
    "道路": "address",
    "道路交叉路口": "address",
    "公交站台、地铁站": "address",
    "楼栋号": "address",
    "住宅区": "address",
    "地名地址": "address",
}


@dataclass(frozen=True)
class ProviderAnswer:
    """One provider's answer, already in WGS-84."""

    lon: float
    lat: float
    provider: str
    precision: str
    level: str
    score: float
    label: str

    @property
    def point(self) -> tuple[float, float]:
        """
        The point as (lon, lat) in WGS-84.

        Returns
        -------
        tuple[float, float]
            ``(lon, lat)``.
        """
        return self.lon, self.lat

    def row(self, name: str) -> list[object]:
        """
        Return the result row of this answer (see geocode.RESULT_COLUMNS).

        Parameters
        ----------
        name
            The name or address that was asked for (the row's ``name``).

        Returns
        -------
        list[object]
            One value per result column, in their order.
        """
        note = (
            f"not placed finely offline; {self.provider} matched {name!r} as "
            f"{self.label!r} (level {self.level})"
        )
        return [
            self.precision,
            "provider",
            "",
            self.label,
            "",
            round(self.score, 3),
            note,
            "",
        ]


class _Cache:
    """A small SQLite cache of raw provider answers."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (provider TEXT, query TEXT, "
            "body TEXT, fetched REAL, PRIMARY KEY (provider, query))"
        )
        self._lock = threading.Lock()

    def get(self, provider: str, query: str) -> Any | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM answers WHERE provider = ? AND query = ?",
                (provider, query),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, provider: str, query: str, body: Any) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                (provider, query, json.dumps(body, ensure_ascii=False), time.time()),
            )


class Provider:
    """
    Base class: caching, rate limit, retries; subclasses build and read requests.

    Parameters
    ----------
    base_url
        The service's endpoint (override to use a mirror or a test server);
        default the environment variable ``GEOPLAN_<NAME>_URL`` (for example
        ``GEOPLAN_NOMINATIM_URL`` for a self-hosted Nominatim), else the
        public service.
    key
        The API key, where the service needs one.
    cache_path
        SQLite cache file; default ``settings.cache_folder / "geocoder.sqlite"``.
        ``None`` with `use_cache` False disables caching.
    min_interval_s
        Least time between two requests.
    timeout_s
        Time to wait for one answer.
    retries
        How often a failed request is retried (with doubling back-off).
    use_cache
        Read and write the cache.
    """

    name = "provider"
    coords: CoordSystem = "wgs84"
    default_url = ""
    key_variable = ""
    default_interval_s = 0.2

    def __init__(
        self,
        *,
        base_url: str | None = None,
        key: str | None = None,
        cache_path: Path | None = None,
        min_interval_s: float | None = None,
        timeout_s: float = 10.0,
        retries: int = 2,
        use_cache: bool = True,
    ) -> None:
        """Configure the provider; see the class docstring."""
        self.base_url = (
            base_url
            or os.environ.get(f"GEOPLAN_{self.name.upper()}_URL")
            or self.default_url
        )
        self.key = key or (
            os.environ.get(self.key_variable) if self.key_variable else None
        )
        if self.key_variable and not self.key:
            msg = (
                f"{self.name} needs an API key: pass key=... or set "
                f"{self.key_variable} in the environment."
            )
            raise ProviderError(msg)
        self.min_interval_s = (
            self.default_interval_s if min_interval_s is None else min_interval_s
        )
        self.timeout_s = timeout_s
        self.retries = retries
        self._cache = (
            _Cache(Path(cache_path or settings.cache_folder / "geocoder.sqlite"))
            if use_cache
            else None
        )
        self._last = 0.0
        self.requests_sent = 0

    # subclasses -------------------------------------------------------------
    def _url(self, address: str) -> str:
        raise NotImplementedError

    def _read(self, body: Any) -> ProviderAnswer | None:
        raise NotImplementedError

    # shared -----------------------------------------------------------------
    def geocode(self, address: str) -> ProviderAnswer | None:
        """
        Geocode one address, from the cache when it was asked before.

        Parameters
        ----------
        address
            The name or address.

        Returns
        -------
        ProviderAnswer or None
            The point in WGS-84, or None when the service found nothing.
        """
        body = self._cache.get(self.name, address) if self._cache else None
        if body is None:
            body = self._fetch(self._url(address))
            answer = self._read(body)  # raises on service errors: not cached
            if self._cache:
                self._cache.put(self.name, address, body)
            return answer
        return self._read(body)

    def _fetch(self, url: str) -> Any:
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            wait = self._last + self.min_interval_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            self.requests_sent += 1
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                    return json.loads(reply.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):
                    msg = f"{self.name} refused (HTTP {exc.code}): check the key."
                    raise ProviderError(msg) from exc
                if exc.code == 429:
                    last_error = QuotaError(f"{self.name} rate limit (HTTP 429)")
                elif exc.code < 500:
                    msg = f"{self.name} answered HTTP {exc.code} for {redact(url)}."
                    raise ProviderError(msg) from exc
                else:
                    last_error = exc
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                last_error = exc
            except json.JSONDecodeError as exc:
                msg = f"{self.name} answered with something that is not JSON."
                raise ProviderError(msg) from exc
            time.sleep(min(8.0, 0.25 * 2**attempt))
        if isinstance(last_error, QuotaError):
            raise last_error
        msg = (
            f"{self.name} could not be reached at {self.base_url} after "
            f"{self.retries + 1} tries ({redact(last_error)}); check the network, "
            "or leave the provider out to geocode offline."
        )
        raise ProviderError(msg) from last_error

    def _answer(
        self, lon: float, lat: float, *, level: str, score: float, label: str
    ) -> ProviderAnswer:
        x, y = convert(lon, lat, source=self.coords, target="wgs84")
        precision = LEVELS_ZH.get(level, "address")
        return ProviderAnswer(
            float(x[0]), float(y[0]), self.name, precision, level, score, label
        )


class Tianditu(Provider):
    """The 天地图 geocoder (CGCS2000 ≈ WGS-84); key from ``TIANDITU_KEY``."""

    name = "tianditu"
    default_url = "https://api.tianditu.gov.cn/geocoder"
    key_variable = "TIANDITU_KEY"

    def _url(self, address: str) -> str:
        ds = json.dumps({"keyWord": address}, ensure_ascii=False)
        return f"{self.base_url}?{urllib.parse.urlencode({'ds': ds, 'tk': self.key})}"

    def _read(self, body: Any) -> ProviderAnswer | None:
        status = str(body.get("status", ""))
        if status != "0":
            message = str(body.get("msg", ""))
            if "权限" in message or "key" in message.lower() or "次数" in message:
                msg = f"tianditu refused: {message} (status {status})"
                raise QuotaError(msg)
            if status == "101" or "无结果" in message:
                return None
            msg = f"tianditu answered status {status}: {message}"
            raise ProviderError(msg)
        location = body.get("location") or {}
        if "lon" not in location:
            return None
        return self._answer(
            float(location["lon"]),
            float(location["lat"]),
            level=str(location.get("level", "")),
            score=float(location.get("score", 0)) / 100.0,
            label=str(location.get("keyWord", "")),
        )


class AMap(Provider):
    """The 高德 geocoder (GCJ-02, converted to WGS-84); key from ``AMAP_KEY``."""

    name = "amap"
    coords: CoordSystem = "gcj02"
    default_url = "https://restapi.amap.com/v3/geocode/geo"
    key_variable = "AMAP_KEY"
    QUOTA_CODES = (
        "10003",
        "10004",
        "10014",
        "10019",
        "10020",
        "10021",
        "10044",
        "10045",
    )

    def _url(self, address: str) -> str:
        query = {"address": address, "key": self.key, "output": "JSON"}
        return f"{self.base_url}?{urllib.parse.urlencode(query)}"

    def _read(self, body: Any) -> ProviderAnswer | None:
        if str(body.get("status")) != "1":
            code, info = str(body.get("infocode", "")), str(body.get("info", ""))
            if code in self.QUOTA_CODES:
                msg = f"amap refused: {info} (infocode {code})"
                raise QuotaError(msg)
            msg = f"amap answered {info} (infocode {code})"
            raise ProviderError(msg)
        found = body.get("geocodes") or []
        if not found:
            return None
        first = found[0]
        lon, lat = (float(v) for v in str(first["location"]).split(","))
        return self._answer(
            lon,
            lat,
            level=str(first.get("level", "")),
            score=0.8,
            label=str(first.get("formatted_address", "")),
        )


class Nominatim(Provider):
    """OpenStreetMap Nominatim (WGS-84); one request per second at most."""

    name = "nominatim"
    default_url = "https://nominatim.openstreetmap.org/search"
    default_interval_s = 1.0

    def _url(self, address: str) -> str:
        query = {"q": address, "format": "jsonv2", "limit": 1}
        return f"{self.base_url}?{urllib.parse.urlencode(query)}"

    def _read(self, body: Any) -> ProviderAnswer | None:
        if not isinstance(body, list):
            msg = f"nominatim answered an unexpected body: {str(body)[:120]}"
            raise ProviderError(msg)
        if not body:
            return None
        first = body[0]
        rank = int(first.get("place_rank", 0))
        precision = (
            "address"
            if rank >= 26
            else "village"
            if rank >= 19
            else "town"
            if rank >= 16
            else "county"
            if rank >= 12
            else "province"
            if rank >= 8
            else "none"
        )
        answer = self._answer(
            float(first["lon"]),
            float(first["lat"]),
            level=str(first.get("addresstype", rank)),
            score=float(first.get("importance", 0.5)),
            label=str(first.get("display_name", "")),
        )
        return ProviderAnswer(
            answer.lon,
            answer.lat,
            self.name,
            precision,
            answer.level,
            answer.score,
            answer.label,
        )


PROVIDERS = {"tianditu": Tianditu, "amap": AMap, "nominatim": Nominatim}
