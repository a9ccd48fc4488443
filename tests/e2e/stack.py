"""Real Alertmanager and Prometheus processes for the end-to-end tests and `make demo`.

Debian's binaries, run directly, bound to 127.0.0.1 with clustering off, stopped by PID.
Timings are shrunk so a whole notification round trip takes seconds, not minutes.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import json
import os
import pathlib
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import yaml

from tests.support.processes import REPO, Process, free_port, http_ok, wait_until

ALERTMANAGER_BINARY = "/usr/bin/prometheus-alertmanager"
PROMETHEUS_BINARY = "/usr/bin/prometheus"
INSTALL_SCRIPT = REPO / "scripts" / "install-system-packages.sh"

# Alertmanager's flush deadline is max(group_interval, 10 s); 2 s keeps re-sends frequent.
FAST_ROUTE = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "1h"}


class Startable(Protocol):
    """Anything the helpers below can start and stop."""

    def start(self) -> Any: ...

    def stop(self) -> None: ...


def missing_binaries() -> list[str]:
    """The Debian binaries the stack needs that are not installed."""
    return [
        binary
        for binary in (ALERTMANAGER_BINARY, PROMETHEUS_BINARY)
        if not os.access(binary, os.X_OK)
    ]


def install_missing_binaries() -> str:
    """Run the project's package script (apt as root); its output says why if it could not."""
    result = subprocess.run(
        [str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    return (result.stdout + result.stderr).strip()


def start_all(servers: Iterable[Startable]) -> list[Startable]:
    """Start servers concurrently; if any fails to start, stop them all and re-raise."""
    servers = list(servers)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(servers) or 1) as pool:
        futures = [pool.submit(server.start) for server in servers]
        errors = [future.exception() for future in futures]
    failures = [error for error in errors if error is not None]
    if failures:
        stop_all(servers)
        raise failures[0]
    return servers


def stop_all(servers: Iterable[Startable]) -> None:
    """Stop servers in reverse start order; one failing to stop does not keep the rest alive."""
    for server in reversed(list(servers)):
        try:
            server.stop()
        except Exception as error:  # keep stopping the others
            print(f"could not stop {server!r}: {error}")


def webhook_receiver(name: str, url: str, **options: Any) -> dict[str, Any]:
    """A receiver with one webhook_config (options: max_alerts, http_config, send_resolved)."""
    return {"name": name, "webhook_configs": [{"url": url, "send_resolved": True, **options}]}


def alertmanager_config(
    receivers: list[dict[str, Any]],
    routes: list[dict[str, Any]] | None = None,
    group_by: list[str] | None = None,
) -> dict[str, Any]:
    """A config whose root route goes to the first receiver, with fast timings throughout."""
    route: dict[str, Any] = {
        "receiver": receivers[0]["name"],
        "group_by": group_by or ["alertname"],
        **FAST_ROUTE,
    }
    if routes:
        route["routes"] = routes
    return {"route": route, "receivers": receivers}


def route_by_label(label: str, value: str, receiver: str) -> dict[str, Any]:
    """A child route sending alerts with label=value to receiver."""
    return {"matchers": [f'{label}="{value}"'], "receiver": receiver, **FAST_ROUTE}


@dataclasses.dataclass(frozen=True)
class WebhookCounters:
    """Alertmanager's webhook counters (the same meaning in 0.25 to 0.33).

    A notification is one flush of a group: counted when the flush starts, and as failed
    only once the flush gives up (after all its retries); a request is one HTTP attempt,
    failed unless answered 2xx.
    """

    notifications: int
    notifications_failed: int
    requests: int
    requests_failed: int

    @property
    def notifications_sent(self) -> int:
        """Notifications delivered (exact once no flush is in progress)."""
        return self.notifications - self.notifications_failed

    @property
    def requests_succeeded(self) -> int:
        """HTTP requests answered 2xx."""
        return self.requests - self.requests_failed


class Alertmanager:
    """prometheus-alertmanager with a config written from a dict; reload by rewriting it."""

    def __init__(
        self,
        workdir: pathlib.Path,
        config: Mapping[str, Any],
        name: str = "am",
        binary: str = ALERTMANAGER_BINARY,
        flags: Iterable[str] = (),
    ) -> None:
        self.binary = binary
        self.workdir = workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.workdir / "alertmanager.yml"
        self.write_config(config)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = Process(
            [
                binary,
                f"--config.file={self.config_path}",
                f"--storage.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                # Empty disables clustering, which Debian's build otherwise starts on 0.0.0.0.
                "--cluster.listen-address=",
                "--log.level=debug",
                *flags,  # e.g. --enable-feature=event-recorder (0.33+)
            ],
            self.workdir / "alertmanager.log",
        )

    def __repr__(self) -> str:
        return f"Alertmanager({self.binary} at {self.url})"

    def write_config(self, config: Mapping[str, Any]) -> None:
        self.config_path.write_text(yaml.safe_dump(dict(config), sort_keys=False))

    def start(self) -> Alertmanager:
        self.process.start()
        _wait_ready(self.process, f"{self.url}/-/ready", "Alertmanager")
        return self

    def stop(self) -> None:
        self.process.stop()

    def reload(self, config: Mapping[str, Any]) -> None:
        """Rewrite the config file and ask Alertmanager to load it (POST /-/reload)."""
        self.write_config(config)
        request = urllib.request.Request(f"{self.url}/-/reload", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200, f"reload answered {response.status}"

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """POST /api/v2/alerts, as Prometheus and amtool do."""
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps(alerts).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200, f"Alertmanager answered {response.status}"
        except urllib.error.HTTPError as error:
            raise AssertionError(f"Alertmanager refused the alerts: {error.read()!r}") from None

    def webhook_counters(self) -> WebhookCounters:
        """Alertmanager's own count of webhook notifications and requests, from /metrics."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:
            text = response.read().decode()
        return WebhookCounters(
            *(
                _counter(text, metric, integration="webhook")
                for metric in (
                    "alertmanager_notifications_total",
                    "alertmanager_notifications_failed_total",
                    "alertmanager_notification_requests_total",
                    "alertmanager_notification_requests_failed_total",
                )
            )
        )

    def output(self) -> str:
        return self.process.output()


class Prometheus:
    """Prometheus scraping one target every second and evaluating rule files every second."""

    def __init__(
        self,
        workdir: pathlib.Path,
        rule_files: list[pathlib.Path],
        scrape_job: str,
        scrape_target: str,
        alertmanager_target: str,
    ) -> None:
        self.workdir = workdir / "prometheus"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.workdir / "prometheus.yml"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in rule_files],
            "scrape_configs": [
                {"job_name": scrape_job, "static_configs": [{"targets": [scrape_target]}]}
            ],
            "alerting": {
                "alertmanagers": [{"static_configs": [{"targets": [alertmanager_target]}]}]
            },
        }
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = Process(
            [
                PROMETHEUS_BINARY,
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                # Re-send firing alerts every second (default 1m) so one lost to a not yet
                # discovered Alertmanager is sent again at once.
                "--rules.alert.resend-delay=1s",
            ],
            self.workdir / "prometheus.log",
        )

    def __repr__(self) -> str:
        return f"Prometheus({self.url})"

    def start(self) -> Prometheus:
        self.process.start()
        _wait_ready(self.process, f"{self.url}/-/ready", "Prometheus")
        return self

    def stop(self) -> None:
        self.process.stop()

    def output(self) -> str:
        return self.process.output()


# The example rule users deploy; the tests and the demo load it in place, never a copy.
CRONJOB_RULE_FILE = REPO / "examples" / "rules" / "cronjob-failed.rules.yml"


def cronjob_pipeline(
    workdir: pathlib.Path, webhook_url: str, exporter_target: str, name: str = "am"
) -> tuple[Alertmanager, Prometheus]:
    """Prometheus evaluating the CronJob-failure rule against exporter_target, alerting an
    Alertmanager that sends every notification to webhook_url (not started yet)."""
    alertmanager = Alertmanager(
        workdir, alertmanager_config([webhook_receiver("archive", webhook_url)]), name=name
    )
    prometheus = Prometheus(
        workdir,
        rule_files=[CRONJOB_RULE_FILE],
        scrape_job="kube-state-metrics",
        scrape_target=exporter_target,
        alertmanager_target=f"127.0.0.1:{alertmanager.port}",
    )
    return alertmanager, prometheus


def alert(
    labels: Mapping[str, str],
    annotations: Mapping[str, str] | None = None,
    resolved: bool = False,
) -> dict[str, Any]:
    """One alert for POST /api/v2/alerts; resolved ones end a second ago."""
    posted: dict[str, Any] = {"labels": dict(labels), "annotations": dict(annotations or {})}
    if resolved:
        ended = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
        posted["endsAt"] = ended.isoformat()
    return posted


def _wait_ready(process: Process, url: str, what: str) -> None:
    try:
        wait_until(lambda: http_ok(url) or not process.alive(), 20, what)
    except TimeoutError:
        process.stop()
        raise TimeoutError(f"{what} not ready after 20 s:\n{process.output()[-3000:]}") from None
    if not process.alive():
        raise RuntimeError(f"{what} exited:\n{process.output()[-3000:]}")


def _counter(exposition: str, metric: str, **labels: str) -> int:
    """The sum of a counter's series that carry `labels` in a /metrics page (0 when none is
    exported yet). Summed because newer Alertmanagers split the webhook series further
    (0.28 adds `reason` to the failed counters, for one)."""
    wanted = [f'{name}="{value}"' for name, value in labels.items()]
    total = 0.0
    for match in re.finditer(rf"^{metric}\{{([^}}]*)\}} (\S+)$", exposition, re.MULTILINE):
        series_labels = match.group(1).split(",")
        if all(label in series_labels for label in wanted):
            total += float(match.group(2))
    return int(total)
