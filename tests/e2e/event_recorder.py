"""An Alertmanager 0.33+ with its event recorder posting to the function, and the "why" scenario.

The scenario is the one tests/data/alertmanager-0.33.1/ captured: a silence on
CPUThrottlingHigh{namespace="web"}, an inhibit rule (KubeNodeNotReady on a node mutes
KubeJobFailed on the same node), and a KubeJobFailed on another node that is notified.
The e2e test and `make demo` both run it, so what the demo shows is what the test proves.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib
import urllib.error
import urllib.request
from typing import Any

from tests.e2e import stack, versions

FEATURE_FLAG = "--enable-feature=event-recorder"

# The inhibit rule of the scenario, as a user writes it.
INHIBIT_RULE = {
    "source_matchers": ['alertname="KubeNodeNotReady"'],
    "target_matchers": ['alertname="KubeJobFailed"'],
    "equal": ["node"],
}
# group_interval is what repeats mute events: each pass over a muted group records them again.
RECORDER_ROUTE = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}

SILENCED = {"alertname": "CPUThrottlingHigh", "namespace": "web", "pod": "web-7d9f"}
INHIBITING = {"alertname": "KubeNodeNotReady", "node": "node-a", "severity": "critical"}
INHIBITED = {"alertname": "KubeJobFailed", "namespace": "batch", "node": "node-a"}
NOTIFIED = {"alertname": "KubeJobFailed", "namespace": "billing", "node": "node-b"}
SCENARIO_ALERTS = (SILENCED, INHIBITING, INHIBITED, NOTIFIED)

SILENCE_AUTHOR = "oncall@example.com"
SILENCE_COMMENT = "web rollout, throttling expected"


def recorder_release() -> versions.Release | None:
    """The newest release the end-to-end tests know that has the event recorder (0.33+)."""
    newer = [release for release in versions.RELEASES if release.at_least(33)]
    return newer[-1] if newer else None


def recorder_config(function_url: str, source: str, token: str | None = None) -> dict[str, Any]:
    """Notifications to FUNCTION/SOURCE and events to FUNCTION/-/events/SOURCE, both with token
    when one is given (the demo's local function takes none)."""
    auth = {"http_config": {"authorization": {"credentials": token}}} if token else {}
    receiver = stack.webhook_receiver("archive", f"{function_url}/{source}", **auth)
    return {
        "route": {
            "receiver": "archive",
            "group_by": ["alertname", "namespace"],
            **RECORDER_ROUTE,
        },
        "receivers": [receiver],
        "inhibit_rules": [INHIBIT_RULE],
        "event_recorder": {
            "webhook_outputs": [{"url": f"{function_url}/-/events/{source}", **auth}]
        },
    }


def recording_alertmanager(
    workdir: pathlib.Path, release: versions.Release, config: dict[str, Any]
) -> stack.Alertmanager:
    """An Alertmanager `release` with the event recorder on (not started yet)."""
    return stack.Alertmanager(
        workdir, config, name="am-recorder", binary=release.binary, flags=[FEATURE_FLAG]
    )


@dataclasses.dataclass(frozen=True)
class Silence:
    """A silence created through the API: its id and who made it, why."""

    id: str
    created_by: str
    comment: str


def create_silence(
    alertmanager: stack.Alertmanager,
    matchers: dict[str, str],
    created_by: str = SILENCE_AUTHOR,
    comment: str = SILENCE_COMMENT,
) -> Silence:
    """POST /api/v2/silences for one hour from now, as amtool does; the silence made."""
    now = datetime.datetime.now(datetime.UTC)
    body = {
        "matchers": [
            {"name": name, "value": value, "isRegex": False, "isEqual": True}
            for name, value in matchers.items()
        ],
        "startsAt": now.isoformat(),
        "endsAt": (now + datetime.timedelta(hours=1)).isoformat(),
        "createdBy": created_by,
        "comment": comment,
    }
    request = urllib.request.Request(
        f"{alertmanager.url}/api/v2/silences",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            silence_id = json.load(response)["silenceID"]
    except urllib.error.HTTPError as error:
        raise AssertionError(f"Alertmanager refused the silence: {error.read()!r}") from None
    return Silence(silence_id, created_by, comment)


def start_scenario(alertmanager: stack.Alertmanager) -> Silence:
    """Silence CPUThrottlingHigh{namespace=web}, then post the four alerts; the silence.

    The silence comes first so the silenced alert is never notified, not even once.
    """
    silence = create_silence(alertmanager, {"alertname": "CPUThrottlingHigh", "namespace": "web"})
    alertmanager.post_alerts([stack.alert(labels) for labels in SCENARIO_ALERTS])
    return silence
