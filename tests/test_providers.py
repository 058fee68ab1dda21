"""Online geocoders against a local server that answers in their formats."""

from __future__ import annotations

import socket

import pandas as pd
import pytest
from fake_services import KEY, TRUE_LAT, TRUE_LON, FakeServices
from pyproj import Geod

from geoplan.errors import ProviderError, QuotaError
from geoplan.places import geocode, providers


@pytest.fixture(scope="module")
def server():
    with FakeServices() as running:
        yield running


def make(kind, server, tmp_path, **options):
    path = {"tianditu": "/geocoder", "amap": "/v3/geocode/geo", "nominatim": "/search"}[
        kind
    ]
    options.setdefault("min_interval_s", 0.0)
    return providers.PROVIDERS[kind](
        base_url=server.url + path,
        key=KEY if kind != "nominatim" else None,
        cache_path=tmp_path / "cache.sqlite",
        **options,
    )


def metres(answer):
    return Geod(ellps="WGS84").inv(answer.lon, answer.lat, TRUE_LON, TRUE_LAT)[2]


@pytest.mark.parametrize("kind", ["tianditu", "amap", "nominatim"])
def test_answers_land_on_the_true_point_in_wgs84(kind, server, tmp_path):
    answer = make(kind, server, tmp_path).geocode("天竺佳苑")
    assert answer.provider == kind
    assert metres(answer) < 0.2  # AMap's GCJ-02 answer (6 decimals) converted back
    assert make(kind, server, tmp_path).geocode("无此地") is None


def test_unconverted_amap_answer_would_be_far_off(server, tmp_path):
    provider = make("amap", server, tmp_path)
    provider.coords = "wgs84"  # pretend the answer were WGS-84
    assert 400 < metres(provider.geocode("天竺佳苑")) < 700


@pytest.mark.parametrize("kind", ["tianditu", "amap"])
def test_quota_errors_are_raised_as_such(kind, server, tmp_path):
    with pytest.raises(QuotaError, match="refused"):
        make(kind, server, tmp_path).geocode("超限小区")


def test_http_429_is_a_quota_error_after_retries(server, tmp_path):
    provider = make("nominatim", server, tmp_path, retries=1)
    with pytest.raises(QuotaError, match="429"):
        provider.geocode("限流")
    assert server.hits[("/search", "限流")] == 2


def test_bad_key_and_missing_key(server, tmp_path, monkeypatch):
    provider = make("amap", server, tmp_path)
    provider.key = "wrong"
    with pytest.raises(ProviderError, match="check the key"):
        provider.geocode("天竺佳苑二期")
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(ProviderError, match="TIANDITU_KEY"):
        providers.Tianditu(base_url=server.url, use_cache=False)
    monkeypatch.setenv("TIANDITU_KEY", KEY)
    assert providers.Tianditu(base_url=server.url, use_cache=False).key == KEY


def test_timeout_then_clear_error(server, tmp_path):
    provider = make("nominatim", server, tmp_path, timeout_s=0.3, retries=1)
    with pytest.raises(ProviderError, match=r"could not be reached .* after 2 tries"):
        provider.geocode("慢")


def test_transient_error_is_retried(server, tmp_path):
    provider = make("tianditu", server, tmp_path, retries=2)
    assert provider.geocode("抖动小区") is not None
    assert server.hits[("/geocoder", "抖动小区")] == 2


def test_unreachable_service_says_what_to_check(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = providers.Nominatim(
        base_url=f"http://127.0.0.1:{port}/search",
        cache_path=tmp_path / "c.sqlite",
        retries=1,
        min_interval_s=0,
    )
    with pytest.raises(ProviderError, match=r"could not be reached .* geocode offline"):
        provider.geocode("天竺佳苑")


def test_cache_answers_repeats_without_a_request(server, tmp_path):
    first = make("amap", server, tmp_path)
    first.geocode("信合小区")
    again = make("amap", server, tmp_path)  # a new process would see the same file
    assert again.geocode("信合小区") is not None
    assert again.requests_sent == 0
    assert server.hits[("/v3/geocode/geo", "信合小区")] == 1


def test_rate_limit_spaces_requests(server, tmp_path):
    provider = make("nominatim", server, tmp_path, min_interval_s=0.3)
    before = len(server.times)
    for name in ("甲地", "乙地", "丙地"):
        provider.geocode(name)
    gaps = pd.Series(server.times[before:]).diff().dropna()
    assert len(gaps) == 2
    assert (gaps >= 0.29).all()


def test_geocode_asks_providers_only_for_coarse_rows(
    server, tmp_path, builtin_gazetteer
):
    provider = make("tianditu", server, tmp_path)
    result = geocode.geocode(
        pd.Series(["天竺佳苑", "无此地"]),
        gazetteer=builtin_gazetteer,
        context="611024",
        providers=[provider],
    )
    assert result["status"].tolist() == ["provider", "context"]
    assert result["precision"].tolist() == ["address", "county"]
    assert result.geometry.iloc[0].x == pytest.approx(TRUE_LON)
    assert "tianditu matched" in result["explanation"].iloc[0]


@pytest.mark.network
def test_real_nominatim_smoke(tmp_path):
    answer = providers.Nominatim(cache_path=tmp_path / "c.sqlite").geocode("商洛市")
    assert answer is not None
    assert 109 < answer.lon < 111
