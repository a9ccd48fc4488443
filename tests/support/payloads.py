"""Generated Alertmanager notifications, shaped like the captured ones in tests/data/.

`python -m tests.support.payloads` rewrites tests/data/generated/*.json; the tests read
those files, so a fixture's bytes are reviewable and stable.
"""

from __future__ import annotations

import json
import pathlib

GENERATED = pathlib.Path(__file__).resolve().parents[1] / "data" / "generated"


def alert(
    i: int,
    alertname: str = "KubeJobFailed",
    status: str = "firing",
    extra_labels: dict[str, str] | None = None,
) -> dict:
    return {
        "status": status,
        "labels": {
            "alertname": alertname,
            "job_name": f"backup-{i}",
            "namespace": "batch",
            "severity": "warning",
            **(extra_labels or {}),
        },
        "annotations": {
            "summary": f"Job batch/backup-{i} failed",
            "description": "kube_job_failed > 0 for the CronJob's Job",
        },
        "startsAt": f"2026-11-27T02:{i // 60 % 60:02d}:{i % 60:02d}.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-27T03:00:00Z",
        "generatorURL": f"http://prometheus:9090/graph?g0.expr=kube_job_failed&i={i}",
        "fingerprint": f"{i:016x}",
    }


def notification(alerts: list[dict], status: str = "firing", **extra) -> dict:
    common = {
        k: v for k, v in alerts[0]["labels"].items() if all(a["labels"].get(k) == v for a in alerts)
    }
    return {
        "receiver": "alertarchive",
        "status": status,
        "alerts": alerts,
        "groupLabels": {"alertname": alerts[0]["labels"].get("alertname", "")},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{alertname="' + alerts[0]["labels"].get("alertname", "") + '"}',
        "truncatedAlerts": 0,
        **extra,
    }


def many_alerts(count: int) -> dict:
    return notification([alert(i) for i in range(count)])


def long_label_values() -> dict:
    return notification([alert(0, extra_labels={"query": "q" * 5000, "stack": "s\n" * 2500})])


def unicode_labels() -> dict:
    return notification(
        [
            alert(
                0, alertname="ディスク容量不足", extra_labels={"team": "Équipe 🔥", "zh": "磁盘"}
            ),
            alert(1, alertname="ディスク容量不足", extra_labels={"emoji": "🚨\u2028\u2029"}),
        ],
    )


def hostile_labels() -> dict:
    hostile = {
        "path": "../../../../etc/passwd",
        "nul": "a\x00b",
        "newline": "a\nb\r\nc",
        "html": "<script>alert(1)</script>&amp;",
        "slash": "/absolute/path",
        "dots": "..",
        "percent": "%2e%2e%2f",
        "backslash": "..\\..\\windows",
    }
    return notification([alert(0, alertname="../../escape\x00/\n", extra_labels=hostile)])


def newer_alertmanager() -> dict:
    """What 0.32+/0.34 add: notification_reason, routeLabels, UTF-8 label names, offsets."""
    first = alert(0, extra_labels={"k8s.io/cluster name": "prod", "サービス": "api"})
    first["startsAt"] = "2026-11-27T11:56:41.295937299+09:00"
    first["status"] = "resolved"
    first["endsAt"] = "2026-11-27T03:00:00Z"
    second = alert(1)
    second["startsAt"] = "2026-11-27T02:54:24Z"
    second["generatorURL"] = ""
    second["annotations"] = {}
    return notification(
        [first, second],
        notification_reason="some alerts resolved",
        routeLabels={"team": "platform"},
        futureField={"any": ["thing"]},
    )


FIXTURES = {
    "1000-alerts.json": lambda: many_alerts(1000),
    "5kb-label-values.json": long_label_values,
    "unicode-labels.json": unicode_labels,
    "hostile-labels.json": hostile_labels,
    "alertmanager-0.34-fields.json": newer_alertmanager,
}


def main() -> None:
    GENERATED.mkdir(parents=True, exist_ok=True)
    for file_name, build in FIXTURES.items():
        # Compact, one line plus a newline: the way Alertmanager encodes its body.
        text = json.dumps(build(), ensure_ascii=False, separators=(",", ":")) + "\n"
        (GENERATED / file_name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
