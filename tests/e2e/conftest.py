"""End-to-end fixtures: Debian's Alertmanager and Prometheus, the served function, the archive.

Every test here needs /usr/bin/prometheus-alertmanager and /usr/bin/prometheus. Missing ones
are installed with scripts/install-system-packages.sh (apt, as root); when that is impossible
the tests skip with the reason, except under CI=true, where a missing binary is a failure.
"""

from __future__ import annotations

import dataclasses
import os

import pytest

from tests.e2e import stack, versions
from tests.e2e.archive import ArchivingFunction, GcsBucket, LocalDirectory

ON_CI = os.environ.get("CI", "").lower() in ("true", "1")


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
    if ON_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def newer_releases_installer():
    """Unpack trixie's and sid's Alertmanagers once per session; what the script said."""
    if all(release.installed() for release in versions.RELEASES):
        return ""
    return versions.install_newer_releases()


@pytest.fixture(scope="session", params=versions.RELEASES, ids=lambda release: release.short)
def release(request, system_binaries) -> versions.Release:
    """The Alertmanager release a scenario runs on: each test using it runs on every one.

    A release that is not unpacked skips its tests with the reason (fails under CI=true).
    """
    release: versions.Release = request.param
    if release.installed():
        return release
    installer_said = request.getfixturevalue("newer_releases_installer")
    if release.installed():
        return release
    reason = (
        f"Alertmanager {release.version} (Debian {release.suite}) is not at {release.binary}; "
        f"scripts/install-newer-alertmanagers.sh said: {installer_said or 'nothing'}"
    )
    if ON_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


@dataclasses.dataclass
class ApiStack:
    """One Alertmanager routing each scenario (label `scenario`) to its own webhook path."""

    release: versions.Release
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
    # test_alertmanager_versions.py: what one release sends and another does not.
    "reason": ("gcs", {}),
    "utf8-names": ("gcs", {}),
    "user-agent": ("gcs", {}),
    "route-labels": ("gcs", {}),
    "schema-sweep": ("local", {}),
}


@pytest.fixture(scope="session")
def api_stack(release, workdir, fake_gcs):
    """Alertmanager `release` fed through its v2 API, archiving to fake-gcs-server and to a
    directory; each release archives into its own bucket and directory."""
    tag = release.short.replace(".", "-")
    functions = {
        "gcs": ArchivingFunction(workdir, GcsBucket(fake_gcs, f"e2e-api-{tag}").create()),
        "local": ArchivingFunction(workdir, LocalDirectory(workdir / f"api-archive-{tag}")),
    }
    receivers = [{"name": "unrouted"}]
    routes = []
    for scenario, (backend, options) in API_SCENARIOS.items():
        url = f"{functions[backend].url}/{scenario}"
        receivers.append(stack.webhook_receiver(scenario, url, **options))
        routes.append(stack.route_by_label("scenario", scenario, scenario))
    alertmanager = stack.Alertmanager(
        workdir,
        stack.alertmanager_config(receivers, routes),
        name=f"am-api-{tag}",
        binary=release.binary,
    )
    servers = stack.start_all([functions["gcs"], functions["local"], alertmanager])
    yield ApiStack(release, alertmanager, functions["gcs"], functions["local"])
    stack.stop_all(servers)
