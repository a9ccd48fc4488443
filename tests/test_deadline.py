"""The storage time bound: local writes inline while storage is healthy, else on the pool."""

from __future__ import annotations

import threading
import time

import pytest

from alertarchive.archive.storage import StorageUnavailable
from alertarchive.archive.storage.local import LocalArchive
from alertarchive.receiver import deadline
from alertarchive.receiver.deadline import (
    MAX_INLINE_WRITES,
    STALL_SECONDS,
    DeadlineArchive,
    InlineBoundedArchive,
)

BOUND = 0.3


class _HangingArchive:
    """Writes that block until released, recording the thread each ran in."""

    url = "hanging://"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)
        self.threads: list[threading.Thread] = []

    def create(self, name, body, metadata, content_type):
        self.threads.append(threading.current_thread())
        self.entered.release()
        self.release.wait(10)
        return True


class _QuickArchive:
    url = "quick://"

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def create(self, name, body, metadata, content_type):
        self.threads.append(threading.current_thread())
        return True


def _create(archive) -> bool:
    return archive.create("alerts/x.json", b"{}", {}, "application/json")


def _in_background(archive) -> threading.Thread:
    thread = threading.Thread(target=_create, args=(archive,), daemon=True)
    thread.start()
    return thread


def test_the_receiver_writes_a_local_archive_inline_and_anything_else_on_the_pool(tmp_path):
    assert isinstance(deadline.bounded(LocalArchive(tmp_path), BOUND), InlineBoundedArchive)
    assert isinstance(deadline.bounded(_QuickArchive(), BOUND), DeadlineArchive)


def test_a_healthy_write_runs_in_the_callers_thread():
    quick = _QuickArchive()
    archive = InlineBoundedArchive(quick, BOUND)

    assert _create(archive) and _create(archive)

    assert quick.threads == [threading.current_thread()] * 2


def test_beyond_the_inline_cap_a_write_gets_503_within_the_bound():
    hanging = _HangingArchive()
    archive = InlineBoundedArchive(hanging, BOUND)
    try:
        for _ in range(MAX_INLINE_WRITES):
            _in_background(archive)
            assert hanging.entered.acquire(timeout=5)

        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match=r"within 0\.3 s"):
            _create(archive)

        assert time.monotonic() - started < BOUND + 0.5
        assert hanging.threads[-1].name.startswith("archive-write")
    finally:
        hanging.release.set()


def test_once_a_write_stalls_every_later_write_gets_503_within_the_bound():
    hanging = _HangingArchive()
    archive = InlineBoundedArchive(hanging, BOUND)
    try:
        _in_background(archive)
        assert hanging.entered.acquire(timeout=5)
        time.sleep(STALL_SECONDS)

        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(StorageUnavailable):
                _create(archive)
            assert time.monotonic() - started < BOUND + 0.5
    finally:
        hanging.release.set()


def test_writes_go_inline_again_once_the_stalled_ones_end():
    hanging = _HangingArchive()
    archive = InlineBoundedArchive(hanging, BOUND)
    writer = _in_background(archive)
    assert hanging.entered.acquire(timeout=5)
    time.sleep(STALL_SECONDS)
    with pytest.raises(StorageUnavailable):
        _create(archive)  # pooled, and it hangs as well: counted in flight until it ends

    hanging.release.set()
    writer.join(timeout=5)
    give_up_at = time.monotonic() + 5
    while time.monotonic() < give_up_at:
        assert _create(archive)
        if hanging.threads[-1] is threading.current_thread():
            break
        time.sleep(0.01)

    assert hanging.threads[-1] is threading.current_thread()
