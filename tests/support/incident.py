"""A realistic night of one team's alerts, archived through the real receiver (and /-/events).

The window is 00:00–12:00 UTC on 2026-11-27 (`Incident.since`, `Incident.until`):

- KubePodCrashLooping, two pods in one group that differ only in `pod` (the labels they share
  are long: container, job_name, namespace, …): both fire at 10:00, repeat at 10:30; pod
  `…-abcde` resolves at 11:00 ("some alerts resolved"), `…-fghij` is still firing.
- HighLatency (critical, with summary/description/runbook_url/generatorURL): fires at 06:00,
  its summary changes at 06:30 (1.2s → 2.5s), resolves at 07:15 (endsAt 07:14). Each of its
  notifications is posted twice to the default source (stored once) and once to `eu-b`, as
  two HA peers with different source tags would (stored again: an HA duplicate).
- NodeDiskPressure flaps: fires and resolves at 01:00, 02:00 and 03:00 (20 minutes each).
- BackupMissed goes to receiver `pager`, which is never sent a resolved notification: it fires
  at 03:00, repeats at 07:00 and never resolves (send_resolved off, likely).
- CPUThrottlingHigh fires at 08:00; at 08:20 the event recorder records a silence muting it,
  and no resolved notification follows (muted).
- CertExpiring started the evening before (22:00 on the 26th), is repeated at 01:30 and
  resolves at 05:00: its bar starts before the window.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from tests.support.archives import ArchiveWriter, alert, notification

UTC = datetime.UTC
DAY = datetime.datetime(2026, 11, 27, tzinfo=UTC)
CRASHLOOP_SHARED = {
    "alertname": "KubePodCrashLooping",
    "container": "api",
    "job_name": "kube-state-metrics",
    "namespace": "payments-production",
    "cluster": "prod-eu-west-1",
    "severity": "warning",
}
POD_A = "api-7d9f8c6b5-abcde"
POD_B = "api-7d9f8c6b5-fghij"
LATENCY = {"alertname": "HighLatency", "service": "checkout", "severity": "critical"}
LATENCY_NOTES = {
    "summary": "p99 latency 1.2s on checkout",
    "description": "The 99th percentile of checkout requests is above 1s for 10 minutes.",
    "runbook_url": "https://runbooks.example.com/checkout/high-latency",
}
GENERATOR_URL = "http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%29"
DISK = {"alertname": "NodeDiskPressure", "instance": "node-3", "severity": "info"}
BACKUP = {"alertname": "BackupMissed", "job": "nightly-backup", "severity": "warning"}
CPU = {"alertname": "CPUThrottlingHigh", "namespace": "web", "pod": "web-7d9f", "severity": "info"}
CERT = {"alertname": "CertExpiring", "domain": "shop.example.com", "severity": "warning"}


def at(hours: float, minutes: float = 0) -> datetime.datetime:
    return DAY + datetime.timedelta(hours=hours, minutes=minutes)


def with_reason(body: bytes, reason: str) -> bytes:
    """The body with Alertmanager 0.32+'s notification_reason after `alerts`."""
    document = json.loads(body)
    ordered: dict[str, Any] = {}
    for key, value in document.items():
        ordered[key] = value
        if key == "alerts":
            ordered["notification_reason"] = reason
    return (json.dumps(ordered, separators=(",", ":")) + "\n").encode()


class Incident:
    """The archive above, with the fingerprints and object names it produced."""

    since = DAY
    until = at(12)

    def __init__(self, root) -> None:
        self.url = str(root)
        self.writer = ArchiveWriter(self.url)
        self.names: dict[str, str] = {}
        self._crashloop()
        self._latency()
        self._flapping()
        self._backup()
        self._cpu()
        self._cert()

    def post(self, key: str, body: bytes, when: datetime.datetime, source: str = "") -> None:
        answer = self.writer.post(body, when, source=source)
        assert answer["status_code"] in (200, 201), answer
        self.names.setdefault(key, answer["object"])

    def _crashloop(self) -> None:
        pod_a = {**CRASHLOOP_SHARED, "pod": POD_A}
        pod_b = {**CRASHLOOP_SHARED, "pod": POD_B}
        notes = {"summary": "Pod is crash looping", "description": "Restarted 5 times in 10m."}
        both = [
            alert(pod_a, at(9, 55), annotations=notes),
            alert(pod_b, at(9, 56), annotations=notes),
        ]
        self.post("crash_firing", with_reason(notification(both), "first notification"), at(10))
        self.post("crash_repeat", notification(both) + b" ", at(10, 30))
        resolved = [
            alert(pod_a, at(9, 55), ends_at=at(10, 58), annotations=notes),
            alert(pod_b, at(9, 56), annotations=notes),
        ]
        self.post(
            "crash_some_resolved",
            with_reason(notification(resolved), "some alerts resolved"),
            at(11),
        )

    def _latency(self) -> None:
        def latency(summary: str, ends_at: datetime.datetime | None = None) -> dict[str, Any]:
            item = alert(LATENCY, at(5, 58), ends_at, {**LATENCY_NOTES, "summary": summary})
            item["generatorURL"] = GENERATOR_URL
            return item

        for key, body, when in (
            ("latency_firing", notification([latency("p99 latency 1.2s on checkout")]), at(6)),
            ("latency_worse", notification([latency("p99 latency 2.5s on checkout")]), at(6, 30)),
            (
                "latency_resolved",
                notification([latency("p99 latency 2.5s on checkout", at(7, 14))]),
                at(7, 15),
            ),
        ):
            self.post(key, body, when)
            self.post(key, body, when + datetime.timedelta(seconds=1))  # its HA peer, same tag
            self.post(f"{key}_eu_b", body, when + datetime.timedelta(seconds=2), source="eu-b")

    def _flapping(self) -> None:
        for index, hour in enumerate((1, 2, 3)):
            self.post(f"disk_firing_{index}", notification([alert(DISK, at(hour))]), at(hour, 1))
            self.post(
                f"disk_resolved_{index}",
                notification([alert(DISK, at(hour), ends_at=at(hour, 20))]),
                at(hour, 21),
            )

    def _backup(self) -> None:
        body = notification([alert(BACKUP, at(2, 58))], receiver="pager")
        self.post("backup_firing", body, at(3))
        self.post("backup_repeat", body + b"\n", at(7))

    def _cpu(self) -> None:
        self.post("cpu_firing", notification([alert(CPU, at(7, 59))]), at(8))
        fingerprint = alert(CPU, at(7, 59))["fingerprint"]
        event = {
            "@timestamp": "2026-11-27T08:20:00.5Z",
            "instance": "alertmanager-0",
            "data": {
                "silenceMutedAlert": {
                    "silence": {
                        "id": "fe0a605f-609f-4959-9f4e-02e7f6e95ee1",
                        "matchers": [
                            {
                                "type": "TYPE_EQUAL",
                                "name": "namespace",
                                "pattern": "web",
                                "rendered": 'namespace="web"',
                            }
                        ],
                        "startsAt": "2026-11-27T08:19:00Z",
                        "endsAt": "2026-11-27T10:19:00Z",
                        "updatedAt": "2026-11-27T08:19:00Z",
                        "createdBy": "oncall@example.com",
                        "comment": "web rollout",
                    },
                    "mutedAlert": {
                        "labels": {
                            "labels": [{"key": k, "value": v} for k, v in sorted(CPU.items())]
                        },
                        "fingerprint": str(int(fingerprint, 16)),
                    },
                }
            },
        }
        self.writer.now = at(8, 20) + datetime.timedelta(seconds=1)
        response = self.writer.client.post(
            "/-/events", data=json.dumps(event), headers={"Content-Type": "application/json"}
        )
        assert response.status_code in (200, 201), response.get_data(as_text=True)

    def _cert(self) -> None:
        started = at(-2)
        self.post("cert_repeat", notification([alert(CERT, started)]), at(1, 30))
        self.post("cert_resolved", notification([alert(CERT, started, ends_at=at(5))]), at(5, 1))

    @staticmethod
    def fingerprint(labels: dict[str, str]) -> str:
        return alert(labels, DAY)["fingerprint"]
