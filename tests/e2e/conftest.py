"""End-to-end fixtures: Debian's Alertmanager and Prometheus, the served function, the archive.

Every test here needs /usr/bin/prometheus-alertmanager and /usr/bin/prometheus. Missing ones
are installed with scripts/install-system-packages.sh (apt, as root); when that is impossible
the tests skip with the reason, except under CI=true, where a missing binary is a failure.
"""

from __future__ import annotations

import dataclasses
import os

import pytest

from tests.e2e import stack
from tests.e2e.archive import ArchivingFunction, GcsBucket, LocalDirectory


@pytest.fixture(scope="session", autouse=True)
def system_binaries():
    """Alertmanager and Prometheus are installed, or the e2e tests skip (fail under CI)."""
    missing = stack.missing_binaries()
    if not missing:
        return
    installer_said = stack.install_missing_binaries()
    missing = stack.missing_binaries()
    if not missing:
        return
    reason = (
        f"end-to-end tests need {', '.join(missing)} (Debian packages prometheus-alertmanager "
        f"and prometheus); scripts/install-system-packages.sh could not install them: "
        f"{installer_said or 'no output'}"
    )
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


@dataclasses.dataclass
class ApiStack:
    """One Alertmanager routing each scenario (label `scenario`) to its own webhook path."""

    alertmanager: stack.Alertmanager
    gcs: ArchivingFunction
    local: ArchivingFunction


# scenario -> (backend, extra webhook_config options); the scenario is also the URL path,
# so each one's objects land under their own source= partition.
API_SCENARIOS = {
    "group-gcs": ("gcs", {}),
    "group-local": ("local", {}),
    "hostile-labels": ("gcs", {}),
    "truncated": ("gcs", {"max_alerts": 2}),
    "resolve": ("gcs", {}),
    "cli-gcs": ("gcs", {}),
    "cli-local": ("local", {}),
}


@pytest.fixture(scope="session")
def api_stack(system_binaries, workdir, fake_gcs):
    """Alertmanager fed through its v2 API, archiving to fake-gcs-server and to a directory."""
    functions = {
        "gcs": ArchivingFunction(workdir, GcsBucket(fake_gcs, "e2e-api").create()),
        "local": ArchivingFunction(workdir, LocalDirectory(workdir / "api-archive")),
    }
    receivers = [{"name": "unrouted"}]
    routes = []
    for scenario, (backend, options) in API_SCENARIOS.items():
        url = f"{functions[backend].url}/{scenario}"
        receivers.append(stack.webhook_receiver(scenario, url, **options))
        routes.append(stack.route_by_label("scenario", scenario, scenario))
    alertmanager = stack.Alertmanager(
        workdir, stack.alertmanager_config(receivers, routes), name="am-api"
    )
    servers = stack.start_all([functions["gcs"], functions["local"], alertmanager])
    yield ApiStack(alertmanager, functions["gcs"], functions["local"])
    stack.stop_all(servers)
