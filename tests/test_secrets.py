"""Keys and passwords never appear in messages, logs or outputs."""

from __future__ import annotations

import logging

import pytest
from fake_services import KEY, FakeServices

from geoplan._secrets import redact
from geoplan.cli import main
from geoplan.errors import ProviderError
from geoplan.places import providers


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("http://h/geocoder?ds=%7B%7D&tk=abc123def", "abc123def"),
        ("https://restapi.amap.com/v3/geocode/geo?address=x&key=K9z8y7", "K9z8y7"),
        ("postgresql://planner:s3cr3t-pw@db:5432/geo", "s3cr3t-pw"),
        ("host=db user=p password=hunter22 dbname=g", "hunter22"),
    ],
)
def test_redact_masks_credentials(text, hidden):
    assert hidden not in redact(text)
    assert "***" in redact(text)


def test_redact_masks_key_values_from_the_environment(monkeypatch):
    monkeypatch.setenv("AMAP_KEY", "zz-secret-42")
    assert redact("failed with zz-secret-42 in it") == "failed with *** in it"


def test_a_provider_error_names_the_request_without_its_key(tmp_path):
    with FakeServices() as server:
        provider = providers.Tianditu(
            base_url=server.url + "/geocoder", key=KEY, use_cache=False, retries=0
        )
        with pytest.raises(ProviderError, match="HTTP 400") as caught:
            provider.geocode("坏请求")
    assert KEY not in str(caught.value)
    assert "tk=***" in str(caught.value)


def test_the_geocode_command_keeps_the_key_out_of_messages_and_files(
    tmp_path, monkeypatch, capsys, caplog
):
    (tmp_path / "n.csv").write_text("name\n坏请求\n", encoding="utf-8")
    with FakeServices() as server:
        monkeypatch.setenv("GEOPLAN_TIANDITU_URL", server.url + "/geocoder")
        monkeypatch.setenv("TIANDITU_KEY", KEY)
        monkeypatch.chdir(tmp_path)
        with caplog.at_level(logging.DEBUG):
            code = main(
                ["--debug", "geocode", "n.csv", "--name-column", "name",
                 "--provider", "tianditu", "--out", "o.gpkg", "--no-progress"]
            )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert "HTTP 400" in err
    assert KEY not in out + err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
