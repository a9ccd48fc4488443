"""On a real Alertmanager 0.33.1, `alertarchive why` explains a silenced and an inhibited alert.

Alertmanager runs with --enable-feature=event-recorder; its event recorder posts to the function
at /-/events/why and its webhook receiver to /why, both with the token, as the README says.
Everything `why` prints is read back from the archive the served function wrote.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import time

import pytest

from tests.e2e import event_recorder, stack
from tests.e2e.archive import ArchivedObject, ArchivingFunction, LocalDirectory
from tests.e2e.conftest import ON_CI
from tests.support.cli import run

pytestmark = pytest.mark.e2e

TOKEN = "e2e-recorder-token-8d41"
SOURCE = "why"
EVENTS_URL_PATH = f"-/events/{SOURCE}"
# Mute events repeat every group_interval (1 s); this many received proves the repeats happened.
MUTE_REPEATS = 3
WAIT_SECONDS = 25


@dataclasses.dataclass
class RecordedScenario:
    """The archive once Alertmanager has recorded the scenario, and the silence it made."""

    function: ArchivingFunction
    silence: event_recorder.Silence

    @property
    def archive_url(self) -> str:
        return self.function.archive.url

    def events(self) -> list[ArchivedObject]:
        return self.function.archive.objects("events/")

    def events_received(self, kind: str, alertname: str) -> int:
        """How many events of kind about alertname the function answered 2xx (repeats too)."""
        marker = f"/{kind}-{alertname}-"
        return sum(
            1
            for entry in self.function.requests(EVENTS_URL_PATH)
            if entry["status_code"] < 300 and marker in entry.get("object", "")
        )

    def webhook_fingerprint(self, alertname: str) -> str:
        """The 16-hex-digit fingerprint an archived notification gives alertname ("" if none)."""
        for obj in self.function.objects(SOURCE):
            for alert in obj.document["alerts"]:
                if alert["labels"]["alertname"] == alertname:
                    return alert["fingerprint"]
        return ""

    def why(self, alertname: str, labels: dict[str, str]) -> str:
        """`alertarchive why ALERTNAME --label k=v …` over the last hour; its output."""
        arguments = [arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")]
        result = run(self.archive_url, "why", alertname, *arguments, "--since", "1h")
        assert result.exit_code == 0, result.output
        print(f"$ alertarchive why {alertname} {' '.join(arguments)} --since 1h\n{result.output}")
        return result.output


@pytest.fixture(scope="module")
def recorder_release(system_binaries, request):
    """Alertmanager 0.33+, or a skip with the reason (a failure under CI=true)."""
    release = event_recorder.recorder_release()
    installer_said = ""
    if release and not release.installed():
        installer_said = request.getfixturevalue("newer_releases_installer")
    if release and release.installed():
        return release
    reason = (
        f"the event recorder needs Alertmanager 0.33+ at "
        f"{release.binary if release else '(no 0.33 release listed)'}; "
        f"scripts/install-newer-alertmanagers.sh said: {installer_said or 'nothing'}"
    )
    if ON_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def recorded(recorder_release, tmp_path_factory) -> RecordedScenario:
    """Run the scenario until its events and notifications are archived (bounded)."""
    workdir = tmp_path_factory.mktemp("e2e-recorder")
    function = ArchivingFunction(workdir, LocalDirectory(workdir / "archive"), WEBHOOK_TOKENS=TOKEN)
    config = event_recorder.recorder_config(function.url, SOURCE, TOKEN)
    alertmanager = event_recorder.recording_alertmanager(workdir, recorder_release, config)
    servers = stack.start_all([function, alertmanager])
    try:
        scenario = RecordedScenario(function, event_recorder.start_scenario(alertmanager))
        _wait_until_recorded(scenario, alertmanager)
        yield scenario
    finally:
        stack.stop_all(servers)


def _wait_until_recorded(scenario: RecordedScenario, alertmanager: stack.Alertmanager) -> None:
    """Poll until both mutes repeated, the notified alert is archived and its event recorded."""

    def missing() -> list[str]:
        names = [obj.name for obj in scenario.events()]
        notified = scenario.function.objects(SOURCE)
        wanted = {
            "silence mute repeats": scenario.events_received(
                "silenceMutedAlert", "CPUThrottlingHigh"
            )
            >= MUTE_REPEATS,
            "inhibition mute repeats": scenario.events_received(
                "inhibitionMutedAlert", "KubeJobFailed"
            )
            >= MUTE_REPEATS,
            "notification event": any("/notification-" in name for name in names),
            "archived notification": any(
                "billing" in obj.body.decode() and "KubeJobFailed" in obj.body.decode()
                for obj in notified
            ),
            "archived inhibiting alert": scenario.webhook_fingerprint("KubeNodeNotReady") != "",
        }
        return [what for what, ok in wanted.items() if not ok]

    deadline = time.monotonic() + WAIT_SECONDS
    while missing():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"after {WAIT_SECONDS} s still missing: {missing()}\n"
                f"function log tail:\n{scenario.function.served.logs()[-2000:]}\n"
                f"Alertmanager log tail:\n{alertmanager.output()[-2000:]}"
            )
        time.sleep(0.2)


def test_why_names_the_silence_its_author_and_comment(recorded):
    output = recorded.why("CPUThrottlingHigh", {"namespace": "web"})

    verdict = output.splitlines()[0]
    # Silenced before it was posted, it was never sent at all (not "not sent since …").
    assert verdict.startswith(
        f"CPUThrottlingHigh{{namespace=web}}: not sent: muted by silence {recorded.silence.id[:8]} "
    ), output
    assert f'{recorded.silence.created_by}: "{recorded.silence.comment}"' in verdict
    assert "silenced" in output.split(verdict, 1)[1]


def test_why_names_the_inhibiting_alert_and_the_rule(recorded):
    output = recorded.why("KubeJobFailed", {"namespace": "batch"})

    verdict = output.splitlines()[0]
    inhibiting = recorded.webhook_fingerprint("KubeNodeNotReady")
    assert verdict.startswith(
        f"KubeJobFailed{{namespace=batch}}: not sent: inhibited by KubeNodeNotReady ({inhibiting})"
    ), output
    assert '{alertname="KubeNodeNotReady"} mutes {alertname="KubeJobFailed"} with equal node' in (
        verdict
    )
    assert " notified " not in output


def test_why_says_a_normally_notified_alert_was_notified(recorded):
    output = recorded.why("KubeJobFailed", {"namespace": "billing"})

    assert output.splitlines()[0].startswith("KubeJobFailed{namespace=billing}: notified: "), output
    assert re.search(r" archived .*first notification", output), output


def test_repeated_mute_events_are_one_object_per_fact_per_hour(recorded):
    received = {
        kind: recorded.events_received(kind, alertname)
        for kind, alertname in (
            ("silenceMutedAlert", "CPUThrottlingHigh"),
            ("inhibitionMutedAlert", "KubeJobFailed"),
        )
    }
    per_fact_and_hour = collections.Counter(
        (obj.metadata["event_kind"], _hour(obj.name), obj.name.rsplit("-", 1)[1])
        for obj in recorded.events()
        if obj.metadata["event_kind"] in received
    )
    hours = {hour for _, hour, _ in per_fact_and_hour}
    stored = collections.Counter(kind for kind, _, _ in per_fact_and_hour.elements())

    print(f"mute events received {received}, objects stored {dict(stored)}")
    assert all(count >= MUTE_REPEATS for count in received.values()), received
    # One mute each, so one fact each: as many objects as receive hours the run touched.
    assert stored == {kind: len(hours) for kind in received}, (stored, received)


def _hour(name: str) -> str:
    """The dt=…/hour=… partition of an object name."""
    return "/".join(name.split("/")[1:3])
