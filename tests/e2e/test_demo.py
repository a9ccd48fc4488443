"""`make demo` (scripts/demo.py) shows the whole path, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import os
import pathlib
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tests.e2e import event_recorder
from tests.support.processes import REPO

pytestmark = pytest.mark.e2e

DEMO = REPO / "scripts" / "demo.py"


class RunningDemo:
    """scripts/demo.py in its own session, as a terminal runs it; its stdout read line by line."""

    def __init__(self, archive: pathlib.Path) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, str(DEMO), "--archive", str(archive)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.transcript: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.popen.stdout:
            self.lines.put(line)

    def wait_for_line(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.popen.poll() is not None:
                    break
                continue
            self.transcript.append(line)
            if text in line:
                return
        raise AssertionError(f"no line with {text!r}; demo said:\n{''.join(self.transcript)}")

    def ctrl_c(self) -> int:
        """SIGINT to the demo's process group, as a terminal's Ctrl-C; its exit code."""
        os.killpg(self.popen.pid, signal.SIGINT)
        code = self.popen.wait(30)
        while not self.lines.empty():
            self.transcript.append(self.lines.get())
        return code

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


@pytest.fixture
def demo(tmp_path):
    running = RunningDemo(tmp_path / "demo-archive")
    yield running
    running.kill()


def descendants(pid: int) -> dict[int, str]:
    """Every live process below pid (by parent PID), with its start time, from /proc."""
    parents, start_times = {}, {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state, ppid, ..., starttime (22nd field).
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        start_times[int(entry.name)] = fields[19]
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found[child] = start_times[child]
                frontier.append(child)
    return found


def still_running(pid: int, start_time: str) -> bool:
    """Whether that very process (not a reused PID) is alive and not a zombie."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[19] == start_time and fields[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_ctrl_c_during_the_demo_stops_every_process_it_started(demo, tmp_path):
    demo.wait_for_line("archived after")
    children = descendants(demo.popen.pid)
    commands = " ".join(command_line(pid) for pid in children)

    code = demo.ctrl_c()

    assert "/usr/bin/prometheus-alertmanager" in commands
    assert "/usr/bin/prometheus " in commands
    assert "functions-framework" in commands
    assert code == 130, "".join(demo.transcript)
    assert [pid for pid, started in children.items() if still_running(pid, started)] == []
    assert list((tmp_path / "demo-archive").rglob("firing-KubeJobFailed-*.json"))


def test_demo_fires_resolves_and_shows_the_archive_then_follows_until_ctrl_c(demo):
    demo.wait_for_line("Press Ctrl-C to stop.")
    children = descendants(demo.popen.pid)
    (fail_again,) = re.findall(r"curl -X POST '(\S+failed=true)'", "".join(demo.transcript))
    urllib.request.urlopen(urllib.request.Request(fail_again, method="POST"), timeout=5)
    demo.wait_for_line("  archived alerts/", timeout=20)

    code = demo.ctrl_c()

    transcript = "".join(demo.transcript)
    assert code == 0, transcript
    assert 'Prometheus evaluates `kube_job_failed{condition="true"} > 0`' in transcript
    assert "/firing-KubeJobFailed-" in transcript
    assert "/resolved-KubeJobFailed-" in transcript
    assert "Alertmanager counts 2 webhook notifications sent (0 failed requests)" in transcript
    assert "$ alertarchive --archive" in transcript
    assert '"status": "resolved"' in transcript
    assert re.search(r"^  archived alerts/\S+/firing-KubeJobFailed-", transcript, re.MULTILINE)
    recorder = event_recorder.recorder_release()
    if recorder and recorder.installed():
        assert "CPUThrottlingHigh{namespace=web}: not sent: muted by silence " in transcript
        assert "KubeJobFailed{node=node-a}: not sent: inhibited by KubeNodeNotReady (" in transcript
    else:
        assert "scripts/install-newer-alertmanagers.sh unpacks Debian sid's 0.33.1" in transcript
    assert [pid for pid, started in children.items() if still_running(pid, started)] == []
