"""Objects per day from the event recorder's mute events, before and after fact naming.

One simulated day of a realistic setup: ALERTS alerts under one silence, an HA pair of
Alertmanagers each recording its own silenceMutedAlert for every alert on every pass over the
group (group_interval 5m). Each event is built from the one Alertmanager 0.33.1 sent on the
wire (tests/data/alertmanager-0.33.1/) and POSTed to the real receiver (functions-framework's
Flask app in process, archiving to a temporary directory) at its simulated receive time.

- before: one object per distinct event body, which is what naming by the body's hash gives
  (every repeat and every peer's copy has its own timestamp and instance, so its own hash);
- after: the objects the receiver really stored, named by the fact (archive/events.py).

Run: .venv/bin/python -m bench.event_volume [--alerts 50] [--peers 2] [--hours 24]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import datetime
import hashlib
import io
import json
import pathlib
import sys
import tempfile
import time
from typing import Any

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.receiver import client_for  # noqa: E402

CAPTURE = REPO / "tests" / "data" / "alertmanager-0.33.1" / "event-recorder-and-webhook.ndjson"
TOKEN = "bench-token-5e21"
GROUP_INTERVAL = datetime.timedelta(minutes=5)
DAY_START = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
# When each peer's copy of a pass arrives after the pass starts: peers are not in lockstep.
PEER_DELAYS = tuple(datetime.timedelta(milliseconds=200 + 700 * peer) for peer in range(8))


@dataclasses.dataclass(frozen=True)
class Volume:
    """What one simulated run received and stored."""

    events: int  # POSTs the receiver answered
    before: int  # objects a body-hash naming would have stored
    after: int  # objects the fact naming stored
    seconds: float  # wall time of the run


class SimulatedClock:
    """The receiver's clock: the simulated moment the current request arrives."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now


def captured_mute() -> dict[str, Any]:
    """The first silenceMutedAlert Alertmanager 0.33.1 sent in the capture."""
    for line in CAPTURE.read_text().splitlines():
        request = json.loads(line)
        if request["path"] == "/events" and '"silenceMutedAlert"' in request["body"]:
            return json.loads(request["body"])
    raise LookupError(f"no silenceMutedAlert in {CAPTURE}")


def mute_event(
    template: dict[str, Any], alert: int, peer: int, at: datetime.datetime
) -> dict[str, Any]:
    """The template's event as peer `peer` records it for alert number `alert` at `at`."""
    event = copy.deepcopy(template)
    event["@timestamp"] = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event["instance"] = f"alertmanager-{peer}"
    muted = event["data"]["silenceMutedAlert"]["mutedAlert"]
    for label in muted["labels"]["labels"]:
        if label["key"] == "pod":
            label["value"] = f"web-{alert:04d}"
    # Alertmanager's fingerprint is a hash of the label set; any stable uint64 per alert will do.
    digest = hashlib.sha256(json.dumps(muted["labels"], sort_keys=True).encode()).digest()
    muted["fingerprint"] = str(int.from_bytes(digest[:8], "big"))
    return event


def simulate(
    monkeypatch: pytest.MonkeyPatch,
    archive_dir: pathlib.Path,
    alerts: int,
    peers: int,
    hours: int,
) -> Volume:
    """POST every peer's mute of every alert on every pass for `hours`; what was stored."""
    from alertarchive.receiver import receive

    clock = SimulatedClock(DAY_START)
    monkeypatch.setattr(receive, "_utc_now", clock)
    client = client_for(monkeypatch, archive_dir, WEBHOOK_TOKENS=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    template = captured_mute()
    body_hashes: set[str] = set()
    passes = int(datetime.timedelta(hours=hours) / GROUP_INTERVAL)
    started = time.perf_counter()
    for number in range(passes):
        pass_start = DAY_START + number * GROUP_INTERVAL
        for peer in range(peers):
            clock.now = pass_start + PEER_DELAYS[peer]
            for alert in range(alerts):
                body = json.dumps(mute_event(template, alert, peer, clock.now)).encode()
                answer = client.post("/-/events", data=body, headers=headers)
                assert answer.status_code in (200, 201), answer.data
                body_hashes.add(hashlib.sha256(body).hexdigest())
    seconds = time.perf_counter() - started
    stored = [path for path in (archive_dir / "events").rglob("*.json") if path.is_file()]
    return Volume(passes * peers * alerts, len(body_hashes), len(stored), seconds)


def main(argv: list[str] | None = None) -> int:
    """Print events received and objects stored, before and after, for one simulated run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=50)
    parser.add_argument("--peers", type=int, default=2, choices=range(1, len(PEER_DELAYS) + 1))
    parser.add_argument("--hours", type=int, default=24)
    options = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as workdir,
        pytest.MonkeyPatch.context() as monkeypatch,
        # The receiver logs one JSON line per request to stdout; only the figures are wanted.
        contextlib.redirect_stdout(io.StringIO()),
    ):
        volume = simulate(
            monkeypatch,
            pathlib.Path(workdir) / "archive",
            options.alerts,
            options.peers,
            options.hours,
        )
    print(
        f"{options.alerts} silenced alerts, {options.peers} Alertmanager peers, group_interval "
        f"5m, {options.hours} h: {volume.events} silenceMutedAlert events received\n"
        f"  before (one object per event body): {volume.before} objects\n"
        f"  after (one object per fact per hour): {volume.after} objects "
        f"({volume.before / volume.after:.0f}x fewer)\n"
        f"  receiver time: {volume.seconds:.1f} s ({volume.seconds / volume.events * 1e3:.2f} ms "
        "per event, in process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
