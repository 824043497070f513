"""The StatBank client against a local server that behaves like the API."""

from __future__ import annotations

import hashlib
import time

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


def test_a_bom_split_over_chunks_is_removed_all_the_same(fake_dst, tmp_path):
    fake_dst.style.bom = True
    selection = {"OMRÅDE": ["000", "085"], "Tid": ["2022", "2023"]}
    whole, split = tmp_path / "whole.csv", tmp_path / "split.csv"
    client = client_for(fake_dst)
    expected = client.download("REG01", selection, whole)
    fake_dst.faults.append(Fault(chunk_bytes=1))  # the BOM's three bytes in three chunks
    assert client.download("REG01", selection, split) == expected
    assert split.read_bytes() == whole.read_bytes()
    assert not split.read_bytes().startswith(b"\xef")


@pytest.mark.parametrize(
    "fault",
    [Fault(drip_delay=0.05), Fault(chunk_bytes=4, chunk_delay=0.1)],
    ids=["a byte at a time", "small chunks"],
)
def test_an_answer_dripping_past_its_deadline_is_a_timeout(fake_dst, fault):
    """Each byte arrives within the read timeout, so only the deadline for the whole answer
    stops a server that drips (a 4 kB answer at a byte per 50 ms would take minutes): the
    attempt is cut off at the deadline, retried, then DST counts as unreachable."""
    fake_dst.faults.extend([fault] * 2)
    client = client_for(
        fake_dst,
        retry=RetryPolicy(max_attempts=2, base_delay=0.01),
        timeout=(1.0, 1.0),
        tableinfo_deadline=0.5,
    )
    started = time.monotonic()
    with pytest.raises(DstUnavailableError) as err:
        client.tableinfo("REG01")
    assert time.monotonic() - started < 5  # two attempts of 0.5 s, not the whole drip
    assert "tableinfo answer still arriving after 0.5 s" in str(err.value)
    assert fake_dst.calls("tableinfo") == 2


def test_a_data_body_dripping_past_its_deadline_is_a_timeout(fake_dst, tmp_path):
    fake_dst.faults.append(Fault(drip_delay=0.05))
    client = client_for(fake_dst, sleep=lambda s: None, timeout=(1.0, 1.0), data_deadline=0.3)
    dest = tmp_path / "b.csv"
    selection = {"OMRÅDE": ["000", "084", "085"], "Tid": ["2022", "2023"]}
    client.download("REG01", selection, dest)  # the second attempt is whole
    assert fake_dst.calls("data") == 2 and len(dest.read_text().splitlines()) == 7


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed(fake_dst, tmp_path, status):
    """Data comes from the configured API only: a redirect to another host fails at once."""
    fake_dst.faults.append(Fault(status=status, headers={"Location": "http://elsewhere/v1/data"}))
    with pytest.raises(DstApiError) as err:
        client_for(fake_dst).download("REG01", {"OMRÅDE": ["000"], "Tid": ["2022"]}, tmp_path / "b")
    assert err.value.status == status
    assert "redirects to http://elsewhere/v1/data; redirects are not followed" in str(err.value)
    assert fake_dst.calls("data") == 1


def test_dsts_error_object_in_a_200_answer_is_dsts_error(fake_dst):
    error = {"errorTypeCode": "EXTRACT-NOTFOUND", "message": "Tabellen blev ikke fundet"}
    fake_dst.faults.append(Fault(status=200, body=error))
    with pytest.raises(DstApiError) as err:
        client_for(fake_dst).tableinfo("REG01")
    assert (err.value.status, err.value.error_type_code) == (200, "EXTRACT-NOTFOUND")
    assert "Tabellen blev ikke fundet" in str(err.value) and "REG01" in str(err.value)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("[1, 2]", "tableinfo answer has no list of variables: [1, 2]"),
        ("null", "tableinfo answer has no list of variables: None"),
        ('{"id": "REG01"}', "tableinfo answer has no list of variables"),
        ('{"variables": [{"text": "x", "values": []}]}', "tableinfo variable 1 has no id"),
        ('{"variables": [{"id": "Tid"}]}', "tableinfo variable Tid has no list of values"),
        ('{"variables": [{"id": "Tid", "values": [{"text": "2022"}]}]}', "variable Tid has no"),
    ],
)
def test_a_tableinfo_that_is_no_table_description_names_what_is_missing(fake_dst, answer, expected):
    fake_dst.faults.append(Fault(status=200, body=answer))
    with pytest.raises(DstApiError) as err:
        client_for(fake_dst).tableinfo("REG01")
    assert expected in str(err.value) and "DST table REG01" in str(err.value)
    assert fake_dst.calls("tableinfo") == 1  # the same answer would come again


def test_a_maintenance_page_is_retried_and_shown(fake_dst):
    page = "<html><body><h1>Statistikbanken er lukket</h1>\n<p>Vi er snart tilbage</p></html>"
    fake_dst.faults.append(Fault(status=200, body=page))
    client = client_for(fake_dst, sleep=lambda s: None)
    assert client.tableinfo("REG01")["id"] == "REG01"  # the second answer is the real one
    fake_dst.faults.extend([Fault(status=200, body=page)] * 4)
    with pytest.raises(DstUnavailableError) as err:
        client.tableinfo("REG01")
    assert "tableinfo answer is not JSON" in str(err.value)
    assert "it begins: <html><body><h1>Statistikbanken er lukket</h1> <p>Vi" in str(err.value)


def test_an_error_page_of_any_size_is_shown_as_one_short_line(fake_dst):
    page = "<html>\n<body>\n<h1>503 Service Unavailable</h1>\n" + "<p>x</p>\n" * 200_000
    fake_dst.faults.extend([Fault(status=503, body=page)] * 4)
    with pytest.raises(DstApiError) as err:
        client_for(fake_dst, sleep=lambda s: None).tableinfo("REG01")
    assert err.value.status == 503 and err.value.error_type_code is None
    assert err.value.message.startswith("<html> <body> <h1>503 Service Unavailable</h1>")
    assert "\n" not in err.value.message and len(err.value.message) <= 203


def test_a_tableinfo_answer_of_any_size_is_not_read_whole(fake_dst, monkeypatch):
    from pipelines.dst import client

    monkeypatch.setattr(client, "_MAX_TABLEINFO_BYTES", 1000)
    fake_dst.faults.append(Fault(status=200, body='{"variables": [' + " " * 5000 + "]}"))
    with pytest.raises(DstApiError, match="tableinfo answer is larger than"):
        client_for(fake_dst).tableinfo("REG01")
    assert fake_dst.calls("tableinfo") == 1
