"""The examples users copy (Alertmanager config, Prometheus rules) parse and say what we claim.

How examples/alertmanager.yml routes, and amtool check-config of it: test_alertmanager_routing.py.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
import yaml

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
RULE_FILES = sorted((EXAMPLES / "rules").glob("*.rules.yml"))


def _load(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text())


def _rules(document: dict) -> dict[str, dict]:
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


@pytest.mark.parametrize("path", sorted(EXAMPLES.rglob("*.y*ml")), ids=lambda p: p.name)
def test_example_is_valid_yaml(path):
    assert list(yaml.safe_load_all(path.read_text()))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rules_carry_severity_summary_and_description(path):
    for rule in _rules(yaml.safe_load(path.read_text())).values():
        assert rule["labels"]["severity"]
        assert {"summary", "description"} <= set(rule["annotations"])


def test_cronjob_rule_alerts_on_failed_jobs():
    rule = _rules(_load("rules/cronjob-failed.rules.yml"))["KubeJobFailed"]

    # Only condition="true" means failed; kube-state-metrics also exports "false"/"unknown".
    assert rule["expr"] == 'kube_job_failed{condition="true"} > 0'


def test_prometheusrule_crd_carries_the_same_rule():
    crd = _load("prometheusrule-cronjob-failed.yaml")
    plain = _rules(_load("rules/cronjob-failed.rules.yml"))["KubeJobFailed"]

    assert (crd["apiVersion"], crd["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert _rules(crd["spec"])["KubeJobFailed"] == plain


def test_watchdog_always_fires():
    assert _rules(_load("rules/watchdog.rules.yml"))["Watchdog"]["expr"] == "vector(1)"


def test_alertmanager_receiver_sends_resolved_with_a_bearer_token_file():
    receivers = {r["name"]: r for r in _load("alertmanager.yml")["receivers"]}

    webhook = receivers["alertarchive"]["webhook_configs"][0]
    assert webhook["send_resolved"] is True
    assert webhook["http_config"]["authorization"]["type"] == "Bearer"
    assert "credentials_file" in webhook["http_config"]["authorization"]


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/bin")
    if not path:
        pytest.skip(
            f"{name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager)"
        )
    return path


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_accepts_rule_file(path):
    result = subprocess.run(
        [_tool("promtool"), "check", "rules", path], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass():
    result = subprocess.run(
        [_tool("promtool"), "test", "rules", EXAMPLES / "rules" / "test" / "rules.test.yml"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
