"""What each Alertmanager release Debian ships sends that the others do not.

Each test runs on 0.25 (bookworm), 0.28.1 (trixie) and 0.33.1 (sid) and asserts the difference
on the bodies the real binary sent: present from the release that introduced it, absent before.
Every body any release sent must pass the notification schema (tolerant of new fields), so
the function stores it instead of quarantining it. The README's "Alertmanager versions" table
summarizes these.
"""

from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest

from tests.e2e.stack import alert
from tests.support.processes import REPO

pytestmark = pytest.mark.e2e

SCHEMA = json.loads(
    (REPO / "alertarchive" / "schemas" / "alertmanager-webhook-v4.schema.json").read_text()
)
CAPTURED_0_33 = (
    pathlib.Path(__file__).parents[1]
    / "data"
    / "alertmanager-0.33.1"
    / "event-recorder-and-webhook.ndjson"
)
# Label names outside Prometheus's classic [a-zA-Z_][a-zA-Z0-9_]*: OpenTelemetry-style dots
# and non-ASCII letters.
UTF8_LABELS = {"alertname": "Utf8Names", "service.name": "checkout", "équipe": "paiements"}


def schema_problems(body: bytes) -> list[str]:
    """Why the notification schema refuses body (empty when it accepts it)."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [error.message for error in validator.iter_errors(json.loads(body))]


def test_notification_reason_is_sent_since_0_32(api_stack):
    """One group taken through each reason a webhook can give, one notification per step."""
    first, second = ({"alertname": "ReasonGiven", "scenario": "reason", "job": job} for job in "ab")
    steps = [
        ([alert(first)], "first notification"),
        ([alert(first), alert(second)], "new alerts added"),
        ([alert(first, resolved=True), alert(second)], "some alerts resolved"),
        ([alert(second, resolved=True)], "all alerts resolved"),
    ]
    for count, (alerts, _) in enumerate(steps, start=1):
        api_stack.alertmanager.post_alerts(alerts)
        archived = api_stack.gcs.wait_for_objects("reason", count)

    if api_stack.release.at_least(32):
        assert [obj.document["notification_reason"] for obj in archived] == [
            reason for _, reason in steps
        ]
        # Go's encoder writes it right after "alerts", before "groupLabels".
        assert b'}],"notification_reason":"first notification","groupLabels":' in archived[0].body
    else:
        assert [obj.document.get("notification_reason") for obj in archived] == [None] * 4
    assert api_stack.gcs.outcomes("reason") == ["stored"] * 4
    assert [schema_problems(obj.body) for obj in archived] == [[]] * 4


def test_utf8_label_names_are_accepted_since_0_27(api_stack):
    labels = {**UTF8_LABELS, "scenario": "utf8-names"}

    if not api_stack.release.at_least(27):
        # 0.25 validates label names the classic way and refuses the alert outright, so no
        # notification with such a name can come from it.
        with pytest.raises(AssertionError, match="invalid label set: invalid name"):
            api_stack.alertmanager.post_alerts([alert(labels)])
        return

    api_stack.alertmanager.post_alerts([alert(labels)])

    (archived,) = api_stack.gcs.wait_for_objects("utf8-names", 1)
    (sent,) = archived.document["alerts"]
    assert sent["labels"] == labels
    assert archived.document["commonLabels"] == labels
    assert '"service.name":"checkout","équipe":"paiements"'.encode() in archived.body
    assert api_stack.gcs.outcomes("utf8-names") == ["stored"]
    assert schema_problems(archived.body) == []


def test_user_agent_names_the_release(api_stack):
    api_stack.alertmanager.post_alerts([alert({"alertname": "WhoSent", "scenario": "user-agent"})])

    (sent,) = api_stack.gcs.wait_for_objects("user-agent", 1)

    # Debian's 0.28.1 is built from a repacked source and says so: Alertmanager/0.28.1+ds.
    assert sent.metadata["user_agent"] == f"Alertmanager/{api_stack.release.version}"


def test_no_release_debian_ships_sends_route_labels(api_stack):
    """routeLabels arrives with 0.34, newer than sid's 0.33.1: if this fails, a newer release is
    under test, and the README table and the schema's routeLabels description need a look."""
    api_stack.alertmanager.post_alerts(
        [alert({"alertname": "NoRouteLabels", "scenario": "route-labels"})]
    )

    (archived,) = api_stack.gcs.wait_for_objects("route-labels", 1)

    assert not api_stack.release.at_least(34)
    assert "routeLabels" not in archived.document


def test_every_body_this_release_sent_passes_the_schema(api_stack):
    """Whatever the other scenarios on this release archived so far, and one of its own."""
    api_stack.alertmanager.post_alerts(
        [alert({"alertname": "SchemaSweep", "scenario": "schema-sweep"})]
    )
    api_stack.local.wait_for_objects("schema-sweep", 1)

    archived = api_stack.gcs.archive.objects() + api_stack.local.archive.objects()

    assert archived
    refused = {obj.name: schema_problems(obj.body) for obj in archived}
    assert {name: problems for name, problems in refused.items() if problems} == {}


def test_captured_0_33_notifications_pass_the_schema():
    """The 0.33.1 capture in tests/data (with the event recorder on) carries the same
    notification_reason values, and the schema accepts every notification in it."""
    requests = [json.loads(line) for line in CAPTURED_0_33.read_text().splitlines()]
    notifications = [r for r in requests if r["path"] == "/notify"]

    assert len(notifications) == 4
    reasons = [json.loads(r["body"])["notification_reason"] for r in notifications]
    assert reasons == ["first notification"] * 3 + ["all alerts resolved"]
    assert {r["headers"]["User-Agent"] for r in notifications} == {"Alertmanager/0.33.1"}
    assert [schema_problems(r["body"].encode()) for r in notifications] == [[]] * 4
