"""Fixtures for the programme tests; ``data_dir`` (tests/conftest.py) is a private data dir."""

from __future__ import annotations

import pytest


@pytest.fixture
def inbound(data_dir):
    path = data_dir / "inbound" / "programme"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def quarantine(data_dir):
    return data_dir / "inbound" / "quarantine"
