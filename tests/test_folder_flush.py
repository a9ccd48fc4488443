"""Group commit of the folder fsync: shared by concurrent writers, never before its link."""

from __future__ import annotations

import errno
import itertools
import os
import threading
import time

import pytest

from alertarchive.archive.storage import StorageUnavailable, folder_flush
from alertarchive.archive.storage.folder_flush import FolderFlushes
from alertarchive.archive.storage.local import LocalArchive

WRITERS = 8
WRITES_EACH = 6


class _Timeline:
    """Links and folder flushes in the order they happened, on one shared counter."""

    def __init__(self) -> None:
        self.ticks = itertools.count()
        self.links: dict[str, int] = {}
        self.flushes: list[tuple[str, int, int]] = []  # folder, began, ended
        self.failing = False

    def tick(self) -> int:
        return next(self.ticks)

    def flushed_after(self, folder: str, linked: int, returned: int) -> bool:
        return any(
            flushed == folder and linked < began and ended < returned
            for flushed, began, ended in self.flushes
        )


@pytest.fixture
def timeline(monkeypatch):
    """Records every link and every folder flush; flushes take 2 ms, so writers overlap."""
    recorded = _Timeline()
    real_link, real_fsync_directory = os.link, folder_flush.fsync_directory

    def link(source, destination, *args, **kwargs):
        real_link(source, destination, *args, **kwargs)
        recorded.links[os.fspath(destination)] = recorded.tick()

    def fsync_directory(directory):
        began = recorded.tick()
        time.sleep(0.002)
        if recorded.failing:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync_directory(directory)
        recorded.flushes.append((directory, began, recorded.tick()))

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(folder_flush, "fsync_directory", fsync_directory)
    return recorded


def _write_concurrently(archive: LocalArchive, timeline: _Timeline) -> list:
    """WRITERS threads each creating WRITES_EACH objects in one hour folder at once."""
    outcomes: list = []
    start = threading.Barrier(WRITERS)

    def writer(index: int) -> None:
        start.wait()
        for write in range(WRITES_EACH):
            name = f"alerts/dt=2026-12-01/hour=23/source=s/firing-A-{index:02d}{write:02d}.json"
            try:
                created = archive.create(name, b"{}", {"k": "v"}, "application/json")
            except StorageUnavailable as error:
                created = error
            outcomes.append((str(archive.root / name), created, timeline.tick()))

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_each_write_returns_only_after_a_folder_flush_that_began_after_its_link(tmp_path, timeline):
    archive = LocalArchive(tmp_path)

    outcomes = _write_concurrently(archive, timeline)

    assert len(outcomes) == WRITERS * WRITES_EACH
    assert all(created is True for _, created, _ in outcomes)
    for path, _, returned in outcomes:
        folder = os.path.dirname(path)
        assert timeline.flushed_after(folder, timeline.links[path], returned), path
    # Shared: under this overlap, far fewer flushes than writes.
    hour_flushes = [f for f in timeline.flushes if f[0].endswith("hour=23/source=s")]
    assert len(hour_flushes) < WRITERS * WRITES_EACH / 2, len(hour_flushes)


def test_a_failing_flush_answers_no_write_as_stored(tmp_path, timeline):
    archive = LocalArchive(tmp_path)
    archive.create("alerts/first.json", b"{}", {}, "application/json")  # folders made
    timeline.failing = True

    outcomes = _write_concurrently(archive, timeline)

    assert len(outcomes) == WRITERS * WRITES_EACH
    assert all(isinstance(created, StorageUnavailable) for _, created, _ in outcomes)


def test_a_writer_waiting_on_a_flush_that_fails_flushes_again_itself(tmp_path, monkeypatch):
    began, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def fsync_directory(directory):
        calls.append("first" if not calls else "again")
        if len(calls) == 1:
            began.set()
            release.wait(5)
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(folder_flush, "fsync_directory", fsync_directory)
    flushes = FolderFlushes()
    leader_error: list[BaseException] = []

    def lead() -> None:
        try:
            flushes.flush_after_link(str(tmp_path))
        except OSError as error:
            leader_error.append(error)

    leader = threading.Thread(target=lead)
    leader.start()
    assert began.wait(5)
    waiter = threading.Thread(target=flushes.flush_after_link, args=(str(tmp_path),))
    waiter.start()
    time.sleep(0.05)
    assert waiter.is_alive()  # the running flush may predate its link: it waits
    release.set()
    leader.join(5)
    waiter.join(5)

    assert not waiter.is_alive()
    assert calls == ["first", "again"]
    assert [type(error) for error in leader_error] == [OSError]
