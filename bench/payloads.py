"""Alertmanager notifications of any size, shaped like the captured ones in tests/data.

Every body carries a `bench_seq` label in its first alert. The load generator replaces
SEQ_PLACEHOLDER with a per-request counter, so each request has its own sha256 (hence its own
object name) and deduplication never turns a write into a cheap "already stored".
"""

from __future__ import annotations

import orjson

SEQ_PLACEHOLDER = "@SEQ@"
_STARTS_AT = "2026-11-27T02:54:24.89267148Z"
_GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def _alert(index: int, seq: str | None) -> dict:
    labels = {
        "alertname": f"KubePodCrashLooping{index % 3}",
        "cluster": "eu1-prod",
        "container": f"api-{index % 17}",
        "instance": f"10.0.{index // 250}.{index % 250}:8080",
        "job": "kube-state-metrics",
        "namespace": f"team-{index % 5}",
        "pod": f"api-7d9c6b5f4-{index:05d}",
        "severity": "warning" if index % 4 else "critical",
    }
    if seq is not None:
        labels = {"bench_seq": seq, **labels}
    return {
        "status": "firing",
        "labels": labels,
        "annotations": {
            "summary": f"Pod team-{index % 5}/api-7d9c6b5f4-{index:05d} is crash looping",
            "runbook_url": "https://runbooks.example/KubePodCrashLooping",
        },
        "startsAt": _STARTS_AT,
        "endsAt": _GO_ZERO_TIME,
        "generatorURL": f"http://prometheus:9090/graph?g0.expr=up&i={index}",
        "fingerprint": f"{index * 2654435761 % (1 << 64):016x}",
    }


def notification(alerts: int, seq: str | None = SEQ_PLACEHOLDER) -> bytes:
    """A valid v4 notification with `alerts` alerts, compact as Alertmanager sends it."""
    items = [_alert(index, seq if index == 0 else None) for index in range(alerts)]
    return orjson.dumps(
        {
            "receiver": "archive",
            "status": "firing",
            "alerts": items,
            "groupLabels": {"alertname": items[0]["labels"]["alertname"]},
            "commonLabels": {"cluster": "eu1-prod", "job": "kube-state-metrics"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "version": "4",
            "groupKey": '{}:{alertname="KubePodCrashLooping0"}',
            "truncatedAlerts": 0,
        }
    )
