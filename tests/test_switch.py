"""The ``current`` link: restored when it is missing or dangling, never replaced when it is not
a link (someone's copy of a release), and no stray temporary link either way."""

from __future__ import annotations

import os

import pytest

from pipelines.publish.switch import EntryInTheWayError, restore_current, switch


@pytest.fixture
def published(tmp_path):
    published = tmp_path / "published"
    for name in ("20260101T000000Z", "20260102T000000Z"):
        (published / "releases" / name).mkdir(parents=True)
        (published / "releases" / name / "manifest.json").write_text("{}", encoding="utf-8")
    (published / "releases" / "20260103T000000Z").mkdir()  # no manifest: never finished
    (published / "releases" / ".20260104T000000Z.partial").mkdir()
    return published


def test_a_missing_current_is_pointed_at_the_newest_complete_release(published):
    assert restore_current(published) == "20260102T000000Z"
    assert os.readlink(published / "current") == "releases/20260102T000000Z"
    assert (published / "manifest.json").read_text(encoding="utf-8") == "{}"  # entry links
    assert restore_current(published) is None  # nothing to restore now


def test_a_dangling_current_is_restored(published):
    (published / "current").symlink_to("releases/19990101T000000Z")
    assert restore_current(published) == "20260102T000000Z"
    assert (published / "current").resolve().name == "20260102T000000Z"


def test_a_current_that_is_no_link_is_never_replaced(published):
    (published / "current").mkdir()
    (published / "current" / "mine.txt").write_text("a copy", encoding="utf-8")
    with pytest.raises(EntryInTheWayError, match="is not a link to a release"):
        restore_current(published)
    with pytest.raises(EntryInTheWayError):
        switch(published, published / "releases" / "20260102T000000Z")
    assert (published / "current" / "mine.txt").read_text(encoding="utf-8") == "a copy"
    assert not [p for p in published.iterdir() if p.name.startswith(".current")]


def test_nothing_to_restore_without_a_complete_release(tmp_path):
    assert restore_current(tmp_path / "published") is None
    assert not (tmp_path / "published" / "current").exists()
