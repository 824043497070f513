"""The StatBank client against a local server that behaves like the API."""

from __future__ import annotations

import hashlib

import pytest
import requests

from pipelines.dst.client import DstClient, RetryPolicy
from pipelines.dst.errors import DstApiError, DstUnavailableError
from tests.fake_dst import Fault

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)


def client_for(server, **kwargs) -> DstClient:
    kwargs.setdefault("retry", FAST)
    return DstClient(server.base_url, **kwargs)


def test_tableinfo_returns_variables_and_updated(fake_dst):
    info = client_for(fake_dst).tableinfo("REG01")
    assert info["updated"] == "2025-01-15T08:00:00"
    assert [v["id"] for v in info["variables"]] == ["OMRÅDE", "Tid"]
    _, payload = fake_dst.requests[-1]
    assert payload == {"table": "REG01", "format": "JSON", "lang": "da"}


def test_data_posts_bulk_with_codes_and_strips_bom(fake_dst, tmp_path):
    fake_dst.style.bom = True
    fake_dst.style.crlf = True
    dest = tmp_path / "body.csv"
    size = (
        client_for(fake_dst)
        .download("REG01", {"OMRÅDE": ["000", "085"], "Tid": ["2022", "2023"]}, dest)
        .bytes
    )
    _, payload = fake_dst.requests[-1]
    assert payload["format"] == "BULK"
    assert payload["valuePresentation"] == "Code"
    assert payload["variables"] == [
        {"code": "OMRÅDE", "values": ["000", "085"]},
        {"code": "Tid", "values": ["2022", "2023"]},
    ]
    raw = dest.read_bytes()
    assert size == len(raw)
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode().splitlines()[0] == "OMRÅDE;Tid;INDHOLD"
    assert b"\r\n" in raw


def test_download_hashes_the_body_as_written_even_after_a_retry(fake_dst, tmp_path):
    fake_dst.style.bom = True
    fake_dst.faults.append(Fault(cut_body_at=20))  # the first answer breaks off mid-body
    dest = tmp_path / "body.csv"
    download = client_for(fake_dst, sleep=lambda s: None).download(
        "REG01", {"OMRÅDE": ["000", "085"], "Tid": ["2022", "2023"]}, dest
    )
    assert fake_dst.calls("data") == 2
    assert download.bytes == dest.stat().st_size
    assert download.sha256 == hashlib.sha256(dest.read_bytes()).hexdigest()


def test_400_raises_with_error_type_code_and_is_not_retried(fake_dst):
    sleeps: list[float] = []
    client = client_for(fake_dst, sleep=sleeps.append)
    with pytest.raises(DstApiError) as err:
        client.tableinfo("NOPE01")
    assert err.value.status == 400
    assert err.value.error_type_code == "EXTRACT-NOTFOUND"
    assert "NOPE01" in str(err.value)
    assert fake_dst.calls("tableinfo") == 1
    assert sleeps == []


def test_data_400_for_unknown_value_names_the_code(fake_dst, tmp_path):
    with pytest.raises(DstApiError) as err:
        client_for(fake_dst).download(
            "REG01", {"OMRÅDE": ["999"], "Tid": ["2022"]}, tmp_path / "b.csv"
        )
    assert err.value.error_type_code == "EXTRACT-VALUENOTFOUND"
    assert "999" in err.value.message


def test_503_then_success_is_retried_with_backoff(fake_dst):
    fake_dst.faults.extend([Fault(status=503), Fault(status=502)])
    sleeps: list[float] = []
    info = client_for(fake_dst, sleep=sleeps.append).tableinfo("REG01")
    assert info["id"] == "REG01"
    assert fake_dst.calls("tableinfo") == 3
    assert sleeps == [0.01, 0.02]  # exponential


def test_429_honours_retry_after_up_to_the_cap(fake_dst):
    fake_dst.faults.append(Fault(status=429, headers={"Retry-After": "7"}))
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=5.0)
    client_for(fake_dst, retry=policy, sleep=sleeps.append).tableinfo("REG01")
    assert sleeps == [5.0]


def test_persistent_5xx_ends_in_api_error_after_bounded_attempts(fake_dst):
    fake_dst.faults.extend(
        [Fault(status=503, body={"errorTypeCode": "SERVER-BUSY", "message": "try later"})] * 4
    )
    with pytest.raises(DstApiError) as err:
        client_for(fake_dst, sleep=lambda s: None).tableinfo("REG01")
    assert err.value.status == 503
    assert err.value.error_type_code == "SERVER-BUSY"
    assert fake_dst.calls("tableinfo") == 4


def test_timeout_is_retried(fake_dst):
    fake_dst.faults.append(Fault(delay=1.0))
    client = client_for(fake_dst, timeout=(1.0, 0.2), sleep=lambda s: None)
    assert client.tableinfo("REG01")["id"] == "REG01"
    assert fake_dst.calls("tableinfo") == 2


def test_dropped_connection_then_success(fake_dst, tmp_path):
    fake_dst.faults.append(Fault(drop=True))
    dest = tmp_path / "b.csv"
    client_for(fake_dst, sleep=lambda s: None).download(
        "REG01", {"OMRÅDE": ["000"], "Tid": ["2022"]}, dest
    )
    assert dest.read_text().splitlines() == ["OMRÅDE;Tid;INDHOLD", "000;2022;1234,75"]


def test_cut_body_is_retried_and_file_rewritten(fake_dst, tmp_path):
    fake_dst.faults.append(Fault(cut_body_at=20))
    dest = tmp_path / "b.csv"
    client_for(fake_dst, sleep=lambda s: None).download(
        "REG01", {"OMRÅDE": ["000", "084", "085"], "Tid": ["2022", "2023"]}, dest
    )
    assert len(dest.read_text().splitlines()) == 7
    assert fake_dst.calls("data") == 2


def test_unreachable_host_raises_unavailable(closed_port_url):
    client = DstClient(closed_port_url, retry=FAST, sleep=lambda s: None)
    with pytest.raises(DstUnavailableError) as err:
        client.tableinfo("REG01")
    assert "no complete answer after 4 attempts" in str(err.value)


def test_every_request_has_a_timeout(fake_dst):
    seen: list[object] = []

    class Recording(requests.Session):
        def post(self, *args, **kwargs):
            seen.append(kwargs.get("timeout"))
            return super().post(*args, **kwargs)

    client_for(fake_dst, session=Recording()).tableinfo("REG01")
    assert seen and all(t is not None for t in seen)
