"""Alerts posted to Alertmanager's v2 API reach the archive as Alertmanager sends them."""

from __future__ import annotations

import pytest

from tests.e2e.stack import alert

pytestmark = pytest.mark.e2e

# 5 KB of multi-byte text: Alertmanager puts no bound on label values.
LONG_VALUE = "ünïcødé " * 512
UNICODE_LABELS = {
    "team": "Crème brûlée ✓ 日本語 🚨",
    "markup": '<b>disk</b> & "quotes" \u2028 line',
    "long": LONG_VALUE,
}


def _labels(scenario: str, alertname: str, **labels: str) -> dict[str, str]:
    return {"alertname": alertname, "scenario": scenario, **labels}


@pytest.mark.parametrize("backend", ["gcs", "local"])
def test_alerts_of_one_group_arrive_as_one_archived_notification(api_stack, backend):
    function = getattr(api_stack, backend)
    scenario = f"group-{backend}"
    posted = [
        _labels(scenario, "DiskFilling", instance=f"node-{number}:9100", severity="warning")
        for number in (1, 2, 3)
    ]

    api_stack.alertmanager.post_alerts([alert(labels) for labels in posted])

    (archived,) = function.wait_for_objects(scenario, 1)
    document = archived.document
    assert document["status"] == "firing"
    assert document["receiver"] == scenario
    assert sorted(a["labels"]["instance"] for a in document["alerts"]) == [
        "node-1:9100",
        "node-2:9100",
        "node-3:9100",
    ]
    assert [a["labels"] for a in document["alerts"]] == sorted(
        posted, key=lambda labels: labels["instance"]
    )
    assert archived.metadata["alert_count"] == "3"
    assert archived.metadata["alertnames"] == "DiskFilling"
    assert archived.metadata["status"] == "firing"
    assert archived.metadata["user_agent"] == f"Alertmanager/{api_stack.release.version}"
    assert archived.body_sha256 == archived.sha256_in_name == archived.metadata["body_sha256"]
    assert function.outcomes(scenario) == ["stored"]


def test_unicode_and_5_kb_label_values_are_archived_byte_for_byte(api_stack):
    labels = _labels("hostile-labels", "Ünïcode 🚨 alert", **UNICODE_LABELS)

    api_stack.alertmanager.post_alerts(
        [alert(labels, annotations={"summary": "résumé — 概要", "runbook": LONG_VALUE})]
    )

    (archived,) = api_stack.gcs.wait_for_objects("hostile-labels", 1)
    (sent,) = archived.document["alerts"]
    assert sent["labels"] == labels
    assert sent["annotations"] == {"summary": "résumé — 概要", "runbook": LONG_VALUE}
    assert len(archived.body) > 10_000
    # Alertmanager's Go encoder escapes HTML characters; the archive keeps its exact bytes.
    assert b"\\u003cb\\u003edisk\\u003c/b\\u003e \\u0026" in archived.body
    assert archived.body_sha256 == archived.metadata["body_sha256"]
    assert archived.metadata["alertnames"] == "Ünïcode 🚨 alert"
    assert "-Unicode_alert-" in archived.name


def test_max_alerts_truncation_is_archived_with_the_truncated_count(api_stack):
    posted = [_labels("truncated", "QueueBacklog", queue=f"q{number}") for number in range(5)]

    api_stack.alertmanager.post_alerts([alert(labels) for labels in posted])

    (archived,) = api_stack.gcs.wait_for_objects("truncated", 1)
    assert len(archived.document["alerts"]) == 2
    assert archived.document["truncatedAlerts"] == 3
    assert archived.metadata["alert_count"] == "2"
    assert archived.metadata["truncated_alerts"] == "3"


def test_resolving_alerts_archives_a_resolved_notification_after_the_firing_one(api_stack):
    posted = [_labels("resolve", "BackupLate", job_name=f"backup-{number}") for number in (1, 2)]
    api_stack.alertmanager.post_alerts([alert(labels) for labels in posted])
    api_stack.gcs.wait_for_objects("resolve", 1)

    api_stack.alertmanager.post_alerts([alert(labels, resolved=True) for labels in posted])

    firing, resolved = api_stack.gcs.wait_for_objects("resolve", 2)
    assert firing.metadata["status"] == "firing"
    assert resolved.metadata["status"] == "resolved"
    assert resolved.name.split("/")[-1].startswith("resolved-BackupLate-")
    assert [a["status"] for a in resolved.document["alerts"]] == ["resolved", "resolved"]
    assert [a["labels"] for a in resolved.document["alerts"]] == posted
    assert all(a["endsAt"] != "0001-01-01T00:00:00Z" for a in resolved.document["alerts"])
    assert api_stack.gcs.outcomes("resolve") == ["stored", "stored"]
