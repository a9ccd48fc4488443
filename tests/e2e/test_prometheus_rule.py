"""The CronJob-failure rule from examples/, evaluated by real Prometheus, ends up archived.

Prometheus scrapes a kube-state-metrics-shaped exporter every second, evaluates
examples/rules/cronjob-failed.rules.yml (read in place, not copied) every second and sends
to Alertmanager, which notifies the served function.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from tests.e2e import stack
from tests.e2e.archive import ArchivingFunction, GcsBucket
from tests.e2e.fake_kube_state_metrics import FakeKubeStateMetrics

pytestmark = pytest.mark.e2e

RULE_FILE = stack.CRONJOB_RULE_FILE
SOURCE = "prometheus"
# Prometheus finds its Alertmanager and scrape target through discovery, which hands out
# its first result after ~5 s.
FIRST_ALERT_SECONDS = 30


@dataclasses.dataclass
class PrometheusStack:
    exporter: FakeKubeStateMetrics
    function: ArchivingFunction
    alertmanager: stack.Alertmanager
    prometheus: stack.Prometheus


@pytest.fixture(scope="module")
def rule():
    """The one alerting rule in the example rule file."""
    (group,) = yaml.safe_load(RULE_FILE.read_text())["groups"]
    (rule,) = group["rules"]
    return rule


@pytest.fixture(scope="module")
def prometheus_stack(system_binaries, workdir, fake_gcs):
    exporter = FakeKubeStateMetrics().start()
    function = ArchivingFunction(workdir, GcsBucket(fake_gcs, "e2e-prometheus").create())
    alertmanager, prometheus = stack.cronjob_pipeline(
        workdir, f"{function.url}/{SOURCE}", exporter.target, name="am-prometheus"
    )
    try:
        servers = stack.start_all([function, alertmanager, prometheus])
    except BaseException:
        exporter.stop()
        raise
    yield PrometheusStack(exporter, function, alertmanager, prometheus)
    stack.stop_all(servers)
    exporter.stop()


def test_failed_cronjob_fires_and_resolves_into_the_archive(prometheus_stack, rule):
    namespace, job_name = "batch", "nightly-backup-29012345"
    expected_labels = {
        "alertname": rule["alert"],
        "namespace": namespace,
        "job_name": job_name,
        "condition": "true",
        "job": "kube-state-metrics",
        "instance": prometheus_stack.exporter.target,
        **rule.get("labels", {}),
    }
    function = prometheus_stack.function

    prometheus_stack.exporter.set_job_failed(namespace, job_name, failed=True)
    (firing,) = function.wait_for_objects(SOURCE, 1, timeout=FIRST_ALERT_SECONDS)
    prometheus_stack.exporter.set_job_failed(namespace, job_name, failed=False)
    firing_again, resolved = function.wait_for_objects(SOURCE, 2)

    assert firing_again == firing
    assert firing.metadata["status"] == "firing"
    assert firing.metadata["alertnames"] == rule["alert"]
    ((firing_alert,), (resolved_alert,)) = (
        firing.document["alerts"],
        resolved.document["alerts"],
    )
    assert firing_alert["labels"] == expected_labels
    assert firing_alert["status"] == "firing"
    assert firing_alert["generatorURL"].startswith("http")
    assert set(firing_alert["annotations"]) == set(rule.get("annotations", {}))
    assert all("{{" not in text for text in firing_alert["annotations"].values())
    assert firing.metadata["user_agent"] == "Alertmanager/0.25.0"

    assert resolved.metadata["status"] == "resolved"
    assert resolved_alert["labels"] == expected_labels
    assert resolved_alert["status"] == "resolved"
    assert resolved_alert["startsAt"] == firing_alert["startsAt"]
    assert resolved_alert["endsAt"] > resolved_alert["startsAt"]
    assert function.outcomes(SOURCE) == ["stored", "stored"]
