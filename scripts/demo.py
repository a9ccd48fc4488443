"""`make demo`: watch Prometheus → Alertmanager → alertarchive → an archive, on this machine.

Starts a fake kube-state-metrics, the function (functions-framework, archiving to
./demo-archive), Debian's Alertmanager and Prometheus with examples/rules/cronjob-failed.rules.yml,
fails a CronJob's Job and clears it again, and prints what was archived with the CLI. With
Alertmanager 0.33+ unpacked (scripts/install-newer-alertmanagers.sh) it then starts one with the
event recorder, silences one alert and inhibits another, and prints `alertarchive why` for both
(with only 0.25, it says how to get 0.33). Then it
keeps everything running, printing each new notification as it lands, until Ctrl-C (or exits
at once with --once). Everything binds to 127.0.0.1; Ctrl-C stops every process it started.

It runs the very stack the end-to-end tests run (tests/e2e), so what it shows is what CI proves.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the stack helpers live with the end-to-end tests

from alertarchive.archive.storage.local import LocalArchive  # noqa: E402
from tests.e2e import event_recorder, stack  # noqa: E402
from tests.e2e.fake_kube_state_metrics import FakeKubeStateMetrics  # noqa: E402
from tests.support.processes import ServedFunction  # noqa: E402

RULE_FILE = stack.CRONJOB_RULE_FILE
SOURCE = "demo"
NAMESPACE, JOB_NAME = "batch", "nightly-backup-29012345"
WAIT_SECONDS = 60
# The event recorder's objects that say why the silenced and the inhibited alert were quiet.
MUTE_OBJECTS = ("/silenceMutedAlert-CPUThrottlingHigh-", "/inhibitionMutedAlert-KubeJobFailed-")


class Interrupted(Exception):
    """SIGINT or SIGTERM: stop everything and leave."""


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 when it ran (or was stopped after finishing), 130 when interrupted."""
    options = _parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    missing = stack.missing_binaries()
    if missing:
        print(
            f"demo: {', '.join(missing)} not found; install the Debian packages "
            "prometheus-alertmanager and prometheus (as root: make system-packages)",
            file=sys.stderr,
        )
        return 1
    _raise_on_signals()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="alertarchive-demo-"))
    finished = False
    try:
        with _running_stack(options.archive, workdir) as demo:
            demo.run()
            finished = True
            if not options.once:
                demo.follow()
    except Interrupted:
        print("\nstopped: every process the demo started has exited.")
        shutil.rmtree(workdir, ignore_errors=True)
        return 0 if finished else 130
    except Exception:
        print(f"demo failed; logs kept in {workdir}", file=sys.stderr)
        raise
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


class Demo:
    """The running stack and the story told about it."""

    def __init__(
        self,
        archive_dir: pathlib.Path,
        exporter: FakeKubeStateMetrics,
        function: ServedFunction,
        alertmanager: stack.Alertmanager,
        prometheus: stack.Prometheus,
        workdir: pathlib.Path,
        started: list[stack.Startable],
    ) -> None:
        self.archive_dir = archive_dir
        self.workdir = workdir
        self.started = started  # servers started later join it, so they are stopped too
        self.archive = LocalArchive(archive_dir)
        self.exporter = exporter
        self.function = function
        self.alertmanager = alertmanager
        self.prometheus = prometheus
        self.seen = self._archived_names()
        self.started_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        (group,) = yaml.safe_load(RULE_FILE.read_text())["groups"]
        self.rule = group["rules"][0]

    def run(self) -> None:
        """Fail the Job, clear it, and show what Alertmanager sent each time."""
        print(
            f"\n1. The CronJob's Job {NAMESPACE}/{JOB_NAME} fails; kube-state-metrics reports\n"
            f'     kube_job_failed{{namespace="{NAMESPACE}",job_name="{JOB_NAME}",'
            f'condition="true"}} 1\n'
            f"   Prometheus evaluates `{self.rule['expr']}` every second, fires "
            f"{self.rule['alert']} and sends\n"
            f"   it to Alertmanager, which waits group_wait (1s) and POSTs the notification to\n"
            f"   the function …"
        )
        self.exporter.set_job_failed(NAMESPACE, JOB_NAME, failed=True)
        firing = self._wait_for_new_object()
        print(
            "\n2. The failure clears (kube_job_failed drops to 0; in a cluster, when the failed\n"
            "   Job is deleted). Prometheus resolves the alert and Alertmanager sends a\n"
            "   resolved notification …"
        )
        self.exporter.set_job_failed(NAMESPACE, JOB_NAME, failed=False)
        resolved = self._wait_for_new_object()
        counters = self.alertmanager.webhook_counters()
        print(
            f"\nAlertmanager counts {counters.notifications_sent} webhook notifications sent "
            f"({counters.requests_failed} failed requests). The archive holds:\n"
        )
        self._show_archive(firing, resolved)
        self._explain_quiet_alerts()

    def follow(self) -> None:
        """Keep running and print every new archived notification until Ctrl-C."""
        control = f"http://{self.exporter.target}/jobs/{NAMESPACE}/{JOB_NAME}"
        print(
            "\nEverything keeps running; look around:\n"
            f"  Prometheus    {self.prometheus.url}/alerts\n"
            f"  Alertmanager  {self.alertmanager.url}\n"
            f"  the function  {self.function.url}/{SOURCE}\n"
            "Fail the Job again, then clear it:\n"
            f"  curl -X POST '{control}?failed=true'\n"
            f"  curl -X POST '{control}?failed=false'\n"
            "New notifications are printed as they are archived. Press Ctrl-C to stop."
        )
        while True:
            time.sleep(0.5)
            for name in sorted(self._archived_names() - self.seen):
                self.seen.add(name)
                print(f"  archived {name}")

    def _explain_quiet_alerts(self) -> None:
        """On Alertmanager 0.33+, silence one alert and inhibit another; `why` explains both."""
        release = event_recorder.recorder_release()
        if release is None or not release.installed():
            print(
                "3. Why wasn't I paged? Needs Alertmanager 0.33+ and its event recorder, not found"
                f"{f' at {release.binary}' if release else ''}.\n"
                "   scripts/install-newer-alertmanagers.sh unpacks Debian sid's 0.33.1 there "
                "(no system package changes);\n   then run `make demo` again."
            )
            return
        since = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        config = event_recorder.recorder_config(self.function.url, SOURCE)
        alertmanager = event_recorder.recording_alertmanager(self.workdir, release, config)
        self.started.append(alertmanager)
        alertmanager.start()
        print(
            f"3. Why wasn't I paged? Alertmanager {release.version} runs with "
            f"{event_recorder.FEATURE_FLAG}\n"
            f"   ({alertmanager.url}); its event recorder posts to /-/events/{SOURCE}. "
            "A silence on\n   CPUThrottlingHigh{namespace=web} by "
            f'{event_recorder.SILENCE_AUTHOR} ("{event_recorder.SILENCE_COMMENT}"),\n'
            "   and KubeNodeNotReady on node-a inhibits KubeJobFailed on node-a "
            "(equal: [node]) …"
        )
        event_recorder.start_scenario(alertmanager)
        self._wait_for_events(MUTE_OBJECTS)
        archive = _display_path(self.archive_dir)
        for alertname, label in (
            ("CPUThrottlingHigh", "namespace=web"),
            ("KubeJobFailed", "node=node-a"),
        ):
            arguments = [
                "why",
                alertname,
                "--label",
                label,
                "--since",
                f"{since:%Y-%m-%dT%H:%M:%SZ}",
            ]
            command = ["alertarchive", "--archive", archive, *arguments]
            print(f"$ {' '.join(command)}")
            subprocess.run(_cli_argv(command[1:]), cwd=REPO, check=True)
            print()
        # What the recording Alertmanager notified is part of this story, not news to follow.
        self.seen |= self._archived_names()

    def _wait_for_events(self, markers: tuple[str, ...]) -> None:
        started = time.monotonic()
        while time.monotonic() - started < WAIT_SECONDS:
            names = [stored.name for stored in self.archive.objects("events/")]
            if all(any(marker in name for name in names) for marker in markers):
                print(f"   recorded after {time.monotonic() - started:.1f} s\n")
                return
            time.sleep(0.1)
        raise TimeoutError(f"events {markers} not archived within {WAIT_SECONDS} s")

    def _wait_for_new_object(self) -> str:
        started = time.monotonic()
        while time.monotonic() - started < WAIT_SECONDS:
            new = sorted(self._archived_names() - self.seen)
            if new:
                self.seen.update(new)
                print(f"   archived after {time.monotonic() - started:.1f} s: {new[0]}")
                return new[0]
            time.sleep(0.1)
        raise TimeoutError(f"nothing archived within {WAIT_SECONDS} s")

    def _archived_names(self) -> set[str]:
        return {stored.name for stored in self.archive.objects("alerts/")}

    def _show_archive(self, firing_name: str, resolved_name: str) -> None:
        archive = _display_path(self.archive_dir)
        if importlib.util.find_spec("alertarchive.browse.cli") is None:
            print(f"Archived in {archive}:")
            for name in sorted(self.seen):
                print(f"  {name}")
            return
        firing_id, resolved_id = (
            name.rsplit("-", 1)[1][:12] for name in (firing_name, resolved_name)
        )
        # The resolved one as JSON: exactly what Alertmanager sent, pretty-printed.
        for arguments in (
            ["list", "--since", f"{self.started_at:%Y-%m-%dT%H:%M:%SZ}"],
            ["show", firing_id],
            ["show", resolved_id, "--json"],
        ):
            command = ["alertarchive", "--archive", archive, *arguments]
            print(f"$ {' '.join(command)}")
            subprocess.run(_cli_argv(command[1:]), cwd=REPO, check=True)
            print()


@contextlib.contextmanager
def _running_stack(archive_dir: pathlib.Path, workdir: pathlib.Path) -> Iterator[Demo]:
    """Start every process (registering each before it starts), stop them all on the way out."""
    started: list[stack.Startable] = []
    exporter = FakeKubeStateMetrics().start()
    try:
        function = ServedFunction(workdir, {"ARCHIVE_URL": str(archive_dir)})
        alertmanager, prometheus = stack.cronjob_pipeline(
            workdir, f"{function.url}/{SOURCE}", exporter.target
        )
        print(
            f"alertarchive demo: Prometheus → Alertmanager → alertarchive → "
            f"{_display_path(archive_dir)}/\n"
            f"Starting, all on 127.0.0.1 (logs in {workdir}):\n"
            f"  fake kube-state-metrics  http://{exporter.target}/metrics\n"
            f"  alertarchive function    {function.url}  (functions-framework)\n"
            f"  Alertmanager             {alertmanager.url}  (group_wait 1s, group_interval 2s)\n"
            f"  Prometheus               {prometheus.url}  "
            f"(rule {RULE_FILE.relative_to(REPO)}, every 1s)"
        )
        for server in (function, alertmanager, prometheus):
            started.append(server)
            server.start()
        yield Demo(archive_dir, exporter, function, alertmanager, prometheus, workdir, started)
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop_all(started)
        exporter.stop()


def _raise_on_signals() -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _cli_argv(arguments: list[str]) -> list[str]:
    script = pathlib.Path(sys.executable).parent / "alertarchive"
    if script.exists():
        return [str(script), *arguments]
    return [sys.executable, "-m", "alertarchive", *arguments]


def _display_path(path: pathlib.Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--archive",
        type=lambda text: pathlib.Path(text).absolute(),
        default=REPO / "demo-archive",
        help="local archive directory (default: ./demo-archive)",
    )
    parser.add_argument(
        "--once", action="store_true", help="exit after showing the archive instead of following"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
