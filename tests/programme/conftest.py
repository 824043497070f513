"""Fixtures for the programme tests; ``data_dir`` (tests/conftest.py) is a private data dir."""

from __future__ import annotations

import pytest

from tests.programme.helpers import run_ingest, snapshot, write_base


@pytest.fixture
def inbound(data_dir):
    path = data_dir / "inbound" / "programme"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def quarantine(data_dir):
    return data_dir / "inbound" / "quarantine"


@pytest.fixture
def loaded(data_dir, inbound):
    """A good load already in the warehouse; returns its tables' contents (:func:`snapshot`)."""
    write_base(inbound)
    run_ingest(data_dir)
    return snapshot(data_dir)
