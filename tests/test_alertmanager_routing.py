"""examples/alertmanager.yml only adds the archive: Alertmanager's own router says so.

The "before" is the example with its archive parts taken out (the user's config as it was);
the "after" is the example itself. For a table of label sets, `amtool config routes test`
(Alertmanager's routing code, Debian's prometheus-alertmanager) must answer after = the
archive + before: the archive gets every alert exactly once, and the user's receivers get
exactly what they got before. The same holds with other users' routing trees grafted into
the example, because a copied example meets trees that are not its own.
"""

from __future__ import annotations

import concurrent.futures
import copy
import functools
import os
import pathlib
import re
import shutil
import subprocess

import hcl2
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "alertmanager.yml"
ARCHIVE = "alertarchive"
GROUPING = ("group_by", "group_wait", "group_interval", "repeat_interval")

# Label sets an alert may carry: one per route of the example's own tree, none, several, the
# heartbeat, and the edges of the archive routes' matchers.
LABEL_SETS: dict[str, dict[str, str]] = {
    "matches-no-route": {"alertname": "HighLatency", "namespace": "web", "severity": "warning"},
    "example-rule": {"alertname": "KubeJobFailed", "namespace": "batch", "severity": "warning"},
    "no-alertname": {"severity": "warning"},
    "pager": {"alertname": "DiskFull", "severity": "critical"},
    # Matches only a `continue: true` route: the root's receiver never got it.
    "continue-route-only": {"alertname": "ReplicationLag", "team": "db", "severity": "warning"},
    "several-routes": {"alertname": "ReplicationLag", "team": "db", "severity": "critical"},
    "watchdog": {"alertname": "Watchdog", "severity": "none"},
    "watchdog-with-team": {"alertname": "Watchdog", "team": "db", "severity": "none"},
    # Matchers are case-sensitive: this is an ordinary alert, not the heartbeat.
    "not-quite-watchdog": {"alertname": "watchdog", "severity": "critical"},
}

# What the example's own tree (its user part, read as a user would) sends each label set to:
# an oracle that does not depend on how the test takes the archive out.
EXAMPLE_TREE_SENDS = {
    "matches-no-route": ["default"],
    "example-rule": ["default"],
    "no-alertname": ["default"],
    "pager": ["pager"],
    "continue-route-only": ["team-db-chat"],
    "several-routes": ["team-db-chat", "pager"],
    "watchdog": ["null"],
    "watchdog-with-team": ["null"],
    "not-quite-watchdog": ["pager"],
}

# Other users' routing trees, put where the example says to put yours.
USER_TREES = {
    "no-routes-of-your-own": [],
    "your-own-catch-all": [
        {"receiver": "pager", "matchers": ['severity = "critical"']},
        {"receiver": "team-db-chat"},
    ],
    "nested-and-continue-last": [
        {
            "receiver": "team-db-chat",
            "matchers": ['team = "db"'],
            "continue": True,
            "routes": [{"receiver": "pager", "matchers": ['severity = "critical"']}],
        },
        {"receiver": "pager", "matchers": ['alertname =~ "Disk.*"'], "continue": True},
    ],
    "grouped-differently": [
        {
            "receiver": "pager",
            "matchers": ['severity = "critical"'],
            "group_by": ["..."],
            "group_wait": "0s",
        },
    ],
}


def _example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def _is_archive(route: dict) -> bool:
    return route.get("receiver") == ARCHIVE


def _without_archive(routes: list[dict]) -> list[dict]:
    kept = []
    for route in routes:
        if _is_archive(route):
            continue
        route = dict(route)
        if "routes" in route:
            route["routes"] = _without_archive(route["routes"])
        kept.append(route)
    return kept


def _is_root_again(route: dict, root: dict) -> bool:
    """A catch-all with the root's receiver and no settings of its own routes like the root."""
    return set(route) <= {"receiver", "routes"} and route["receiver"] == root["receiver"]


def _user_tree_holder(config: dict) -> dict:
    """The route the example moved the user's routes under: its last, a copy of the root."""
    root = config["route"]
    holder = root["routes"][-1]
    assert _is_root_again(holder, root), holder
    return holder


def _before(after: dict) -> dict:
    """The config without the archive: the user's root, with the user's routes directly under it."""
    config = copy.deepcopy(after)
    root = config["route"]
    routes = _without_archive(root.get("routes", []))
    if len(routes) == 1 and _is_root_again(routes[0], root):
        routes = routes[0].get("routes", [])
    root["routes"] = routes
    config["receivers"] = [r for r in config["receivers"] if r["name"] != ARCHIVE]
    return config


def _grafted(tree: list[dict]) -> dict:
    config = _example()
    _user_tree_holder(config)["routes"] = copy.deepcopy(tree)
    return config


def _amtool() -> str:
    path = shutil.which("amtool") or shutil.which("amtool", path="/usr/bin")
    if path:
        return path
    reason = (
        "amtool is not installed (Debian package prometheus-alertmanager; "
        "scripts/install-system-packages.sh installs it as root)"
    )
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _receivers(amtool: str, config_file: pathlib.Path, labels: dict[str, str]) -> list[str]:
    """The receivers Alertmanager's router sends an alert with these labels to, in order."""
    result = subprocess.run(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={config_file}",
            *(f"{name}={value}" for name, value in labels.items()),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().split(",")


def _config(tree: str) -> dict:
    return _example() if tree == "example" else _grafted(USER_TREES[tree])


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    """tree -> {label set id: (receivers before, receivers after)}, each tree's calls at once."""
    amtool = _amtool()
    directory = tmp_path_factory.mktemp("alertmanager-routing")
    cache: dict[str, dict[str, tuple[list[str], list[str]]]] = {}

    def route(tree: str) -> dict[str, tuple[list[str], list[str]]]:
        if tree not in cache:
            after = _config(tree)
            files = {}
            for shape, config in (("before", _before(after)), ("after", after)):
                files[shape] = directory / f"{tree}-{shape}.yml"
                files[shape].write_text(yaml.safe_dump(config, sort_keys=False))
            with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
                futures = {
                    (shape, label_id): pool.submit(_receivers, amtool, path, labels)
                    for shape, path in files.items()
                    for label_id, labels in LABEL_SETS.items()
                }
            cache[tree] = {
                label_id: (
                    futures["before", label_id].result(),
                    futures["after", label_id].result(),
                )
                for label_id in LABEL_SETS
            }
        return cache[tree]

    return route


@pytest.mark.parametrize("tree", ["example", *USER_TREES])
def test_archive_gets_every_alert_once_and_your_receivers_get_what_they_got_before(routed, tree):
    results = routed(tree)
    expected = {label_id: [ARCHIVE, *before] for label_id, (before, _) in results.items()}
    actual = {label_id: after for label_id, (_, after) in results.items()}

    assert actual == expected


def test_without_the_archive_the_example_routes_as_its_own_routes_read(routed):
    before = {label_id: receivers for label_id, (receivers, _) in routed("example").items()}

    assert before == EXAMPLE_TREE_SENDS
    # The table exercises every receiver of the user's part.
    user_receivers = {r["name"] for r in _before(_example())["receivers"]}
    assert {name for receivers in before.values() for name in receivers} == user_receivers


def test_amtool_accepts_the_example_and_the_config_without_the_archive(tmp_path):
    amtool = _amtool()
    before = tmp_path / "before.yml"
    before.write_text(yaml.safe_dump(_before(_example())))

    for path in (EXAMPLE, before):
        result = subprocess.run(
            [amtool, "check-config", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_archive_route_inherits_the_roots_grouping_so_it_holds_what_people_were_sent():
    archive_routes = [r for r in _example()["route"]["routes"] if _is_archive(r)]
    everything_else = [r for r in archive_routes if r.get("matchers") != ['alertname = "Watchdog"']]

    assert len(everything_else) == 1
    assert everything_else[0]["continue"] is True
    assert not set(GROUPING) & set(everything_else[0]), everything_else[0]


def test_your_routes_sit_under_a_catch_all_that_groups_like_the_root():
    holder = _user_tree_holder(_example())

    # No grouping of its own: the user's routes inherit exactly what they inherited before.
    assert not set(GROUPING) & set(holder)
    assert holder["routes"]


def _minutes(duration: str) -> float:
    value, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()
    return int(value) * {"s": 1 / 60, "m": 1, "h": 60}[unit]


@functools.cache
def _terraform_variable_default(name: str):
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    with (ROOT / "terraform" / "variables.tf").open() as file:
        variables = hcl2.load(file, serialization_options=options)["variable"]
    return next(block[name] for block in variables if name in block)["default"]


def test_heartbeat_is_archived_well_within_the_freshness_alert_window():
    (heartbeat,) = [
        r
        for r in _example()["route"]["routes"]
        if _is_archive(r) and r.get("matchers") == ['alertname = "Watchdog"']
    ]
    window = _terraform_variable_default("freshness_alert_minutes")

    # A re-send every repeat_interval, delayed by at most one group_interval; a failed send
    # must still get a second chance inside the window.
    assert heartbeat.get("continue") is True
    assert (
        2 * (_minutes(heartbeat["repeat_interval"]) + _minutes(heartbeat["group_interval"]))
        < window
    )


def test_archive_receiver_is_named_like_terraforms_receiver_output():
    names = [r["name"] for r in _example()["receivers"]]

    # terraform output alertmanager_receiver names the receiver after var.name.
    assert ARCHIVE in names
    assert _terraform_variable_default("name") == ARCHIVE
