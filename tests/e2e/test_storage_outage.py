"""A storage outage loses nothing and duplicates nothing.

fake-gcs-server (filesystem backend, so objects survive) is stopped while alerts fire: the
function answers 503, Alertmanager backs off and retries, and once storage is back every
notification Alertmanager counted as sent is in the bucket exactly once.
"""

from __future__ import annotations

import contextlib
import dataclasses

import pytest

from tests.e2e import stack
from tests.e2e.archive import ArchivingFunction, GcsBucket
from tests.e2e.stack import alert
from tests.support.processes import FakeGcs, wait_until

pytestmark = pytest.mark.e2e

SOURCE = "outage"


@dataclasses.dataclass
class OutageStack:
    storage: FakeGcs
    function: ArchivingFunction
    alertmanager: stack.Alertmanager

    def stop_storage(self) -> None:
        self.storage.stop()

    def restart_storage(self) -> None:
        """Start fake-gcs-server again on the same port with the same directory."""
        self.storage = FakeGcs(
            self.storage.workdir, root=self.storage.root, port=self.storage.port
        ).start()


@pytest.fixture
def outage_stack(system_binaries, workdir):
    storage = FakeGcs(workdir, root=workdir / "fake-gcs-outage").start()
    # Storage that does not answer within 2 s gets a 503, so Alertmanager retries quickly.
    function = ArchivingFunction(
        workdir, GcsBucket(storage, "e2e-outage").create(), STORAGE_TIMEOUT_SECONDS="2"
    )
    alertmanager = stack.Alertmanager(
        workdir,
        stack.alertmanager_config([stack.webhook_receiver("archive", f"{function.url}/{SOURCE}")]),
        name="am-outage",
    )
    try:
        servers = stack.start_all([function, alertmanager])
    except BaseException:
        storage.stop()
        raise
    outage = OutageStack(storage, function, alertmanager)
    yield outage
    stack.stop_all(servers)
    outage.storage.stop()


def test_notifications_sent_during_an_outage_are_archived_exactly_once(outage_stack):
    function, alertmanager = outage_stack.function, outage_stack.alertmanager
    first = {"alertname": "NodeDown", "instance": "node-1:9100"}
    second = {"alertname": "NodeDown", "instance": "node-2:9100"}
    alertmanager.post_alerts([alert(first)])
    function.wait_for_objects(SOURCE, 1)

    outage_stack.stop_storage()
    alertmanager.post_alerts([alert(second)])
    wait_until(
        lambda: function.outcomes(SOURCE).count("unavailable") >= 2,
        20,
        "two deliveries refused with 503 during the outage",
    )
    outage_stack.restart_storage()
    function.wait_for_objects(SOURCE, 2, until=lambda found: len(found[-1].document["alerts"]) == 2)

    def function_view() -> tuple[int, int, int]:
        """(503 answers, 2xx answers, archived objects), as the function saw them."""
        statuses = [entry["status_code"] for entry in function.requests(SOURCE)]
        return (
            statuses.count(503),
            sum(code < 300 for code in statuses),
            len(function.objects(SOURCE)),
        )

    def alertmanager_view() -> tuple[int, int, int]:
        """(failed requests, successful requests, notifications sent), as Alertmanager counts."""
        counters = alertmanager.webhook_counters()
        return counters.requests_failed, counters.requests_succeeded, counters.notifications_sent

    # Both sides log or count a moment after the object lands; let them catch up.
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: function_view() == alertmanager_view(), 5, "the counts to settle")
    refused, answered_2xx, stored = function_view()
    assert alertmanager_view() == (refused, answered_2xx, stored)
    assert refused >= 2
    archived = function.objects(SOURCE)
    delivered = {e["object"] for e in function.requests(SOURCE) if e["status_code"] < 300}
    assert delivered == {obj.name for obj in archived}
    assert len({obj.body_sha256 for obj in archived}) == len(archived)
    for obj in archived:
        assert obj.body_sha256 == obj.sha256_in_name == obj.metadata["body_sha256"]
        assert obj.document["status"] == "firing"
    assert [a["labels"] for a in archived[-1].document["alerts"]] == [first, second]
