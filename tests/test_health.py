"""ReadinessCheck: cheap (one write per interval), bounded, and never a crash."""

from __future__ import annotations

import threading

from alertarchive.archive.storage import StorageUnavailable
from alertarchive.receiver.health import PROBE_OBJECT, ReadinessCheck


class _Archive:
    """Counts create() calls; can fail, raise anything, or block until released."""

    url = "memory://"

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.names: list[str] = []
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    def create(self, name, body, metadata, content_type):
        self.names.append(name)
        self.entered.set()
        self.release.wait(5)
        if self.error:
            raise self.error
        return len(self.names) == 1


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_result_is_reused_until_it_is_older_than_the_cache_interval():
    archive, clock = _Archive(), _Clock()
    check = ReadinessCheck(archive, cache_seconds=10, clock=clock)

    assert check.check().ready
    clock.now += 9
    assert check.check().ready
    assert archive.names == [PROBE_OBJECT]

    clock.now += 2
    assert check.check().ready
    assert archive.names == [PROBE_OBJECT, PROBE_OBJECT]


def test_storage_unavailable_is_not_ready_with_the_cause_kept_for_the_log():
    check = ReadinessCheck(_Archive(StorageUnavailable("cannot write to gs://b: 403")))

    result = check.check()

    assert not result.ready
    assert result.reason == "cannot write to gs://b: 403"


def test_any_other_storage_error_is_not_ready_rather_than_a_crash():
    check = ReadinessCheck(_Archive(RuntimeError("client bug")))

    result = check.check()

    assert (result.ready, result.reason) == (False, "RuntimeError: client bug")


def test_probes_during_a_slow_check_answer_at_once_with_the_previous_result():
    archive, clock = _Archive(), _Clock()
    check = ReadinessCheck(archive, cache_seconds=10, clock=clock)
    previous = check.check()
    clock.now += 11
    archive.release.clear()
    archive.entered.clear()
    slow = threading.Thread(target=check.check)
    slow.start()
    archive.entered.wait(5)

    during = check.check()

    archive.release.set()
    slow.join(5)
    assert during is previous
    assert len(archive.names) == 2
