"""A local HTTP server on 127.0.0.1 answering like Tianditu, AMap and Nominatim.

Answers follow each service's documented response format. Special queries
trigger failures: ``无此地`` (no result), ``超限`` (quota), ``慢`` (slow),
``抖动`` (one 500 error, then an answer), ``限流`` (HTTP 429).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from geoplan.places.coords import convert

# 天竺佳苑's made-up true position (WGS-84), near 山阳县城
TRUE_LON, TRUE_LAT = 109.8805, 33.5310
KEY = "test-key"


class _Handler(BaseHTTPRequestHandler):
    server: FakeServices

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, body: object, status: int = 200) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if url.path == "/geocoder":
            text = json.loads(query.get("ds", "{}")).get("keyWord", "")
            auth_ok = query.get("tk") == KEY
        elif url.path == "/v3/geocode/geo":
            text, auth_ok = query.get("address", ""), query.get("key") == KEY
        else:
            text, auth_ok = query.get("q", ""), True
        self.server.hits[(url.path, text)] += 1
        self.server.times.append(time.monotonic())
        if not auth_ok:
            self._send({"msg": "key error"}, 403)
            return
        if "慢" in text:
            time.sleep(1.5)
        if "抖动" in text and self.server.hits[(url.path, text)] == 1:
            self._send({"error": "busy"}, 500)
            return
        if "坏请求" in text:
            self._send({"error": "bad request"}, 400)
            return
        if "限流" in text:
            self._send({"error": "Too Many Requests"}, 429)
            return
        {"/geocoder": self._tianditu, "/v3/geocode/geo": self._amap}.get(
            url.path, self._nominatim
        )(text)

    def _tianditu(self, text: str) -> None:
        if "超限" in text:
            self._send({"msg": "权限不足或调用次数超限", "status": "1"})
        elif "无此地" in text:
            self._send({"msg": "无结果", "status": "101"})
        else:
            location = {
                "score": 80,
                "level": "兴趣点",
                "keyWord": text,
                "lon": str(TRUE_LON),
                "lat": str(TRUE_LAT),
            }
            self._send(
                {
                    "msg": "ok",
                    "status": "0",
                    "searchVersion": "6.4.9V",
                    "location": location,
                }
            )

    def _amap(self, text: str) -> None:
        if "超限" in text:
            self._send(
                {"status": "0", "info": "DAILY_QUERY_OVER_LIMIT", "infocode": "10003"}
            )
            return
        if "无此地" in text:
            self._send(
                {
                    "status": "1",
                    "info": "OK",
                    "infocode": "10000",
                    "count": "0",
                    "geocodes": [],
                }
            )
            return
        lon, lat = convert(TRUE_LON, TRUE_LAT, source="wgs84", target="gcj02")
        self._send(
            {
                "status": "1",
                "info": "OK",
                "infocode": "10000",
                "count": "1",
                "geocodes": [
                    {
                        "formatted_address": f"陕西省商洛市山阳县{text}",
                        "province": "陕西省",
                        "city": "商洛市",
                        "district": "山阳县",
                        "adcode": "611024",
                        "location": f"{lon[0]:.6f},{lat[0]:.6f}",
                        "level": "兴趣点",
                    }
                ],
            }
        )

    def _nominatim(self, text: str) -> None:
        if "无此地" in text:
            self._send([])
            return
        self._send(
            [
                {
                    "place_id": 1,
                    "lat": str(TRUE_LAT),
                    "lon": str(TRUE_LON),
                    "display_name": f"{text}, 山阳县, 商洛市, 陕西省, 中国",
                    "category": "place",
                    "type": "village",
                    "place_rank": 19,
                    "addresstype": "village",
                    "importance": 0.4,
                }
            ]
        )


class FakeServices(ThreadingHTTPServer):
    """The server; `hits` counts requests per (path, query text)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: Counter[tuple[str, str]] = Counter()
        self.times: list[float] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakeServices:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
