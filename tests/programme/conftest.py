"""Fixtures for the programme tests; ``data_dir`` (tests/conftest.py) is a private data dir."""

from __future__ import annotations

import copy
import shutil

import pytest

from tests.programme.helpers import inbound_dir, quarantine_dir, run_ingest, snapshot, write_base


@pytest.fixture
def inbound(data_dir):
    """The current generation's inbound folder."""
    path = inbound_dir(data_dir)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def quarantine(data_dir):
    return quarantine_dir(data_dir)


@pytest.fixture(scope="session")
def _good_load(tmp_path_factory):
    """The base set loaded once into a data folder of its own, and its tables' contents."""
    data = tmp_path_factory.mktemp("good_load") / "data"
    write_base(inbound_dir(data))
    run_ingest(data)
    return data, snapshot(data)


@pytest.fixture
def loaded(data_dir, inbound, _good_load):
    """A good load already in the warehouse (a copy of one made once per session: the inbound
    files and the warehouse); returns its tables' contents (:func:`snapshot`)."""
    template, contents = _good_load
    shutil.copytree(template, data_dir, dirs_exist_ok=True)
    return copy.deepcopy(contents)
