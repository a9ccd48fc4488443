"""--archive and --utc/--local before or after the subcommand: `alertarchive list --utc` works."""

import datetime
import time

import pytest
from click.testing import CliRunner

from alertarchive.browse import cli as cli_module
from tests.support.archives import build_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return build_scenario(tmp_path_factory.mktemp("archive"))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch, scenario):
    """Every run at one instant, so outputs with durations (stats, why) compare equal."""
    initialise = cli_module.App.__init__
    at = scenario.now + datetime.timedelta(minutes=1)

    def frozen(self, *args, **kwargs):
        initialise(self, *args, **kwargs)
        self.now = at

    monkeypatch.setattr(cli_module.App, "__init__", frozen)


@pytest.fixture
def local_zone(monkeypatch):
    """A local zone far from UTC, so --utc and --local read and show times differently."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def invoke(*args, env=None):
    return CliRunner().invoke(cli_module.cli, list(args), env={"ARCHIVE_URL": None, **(env or {})})


def command_args(name, scenario, tmp_path):
    """Arguments each command succeeds with on the scenario."""
    return {
        "list": ["list"],
        "show": ["show", scenario.name("latency_firing")],
        "stats": ["stats"],
        "report": ["report", "-o", str(tmp_path / "report.html")],
        "why": ["why", "HighLatency"],
        "history": ["history", "HighLatency"],
        "replay": ["replay", "--since", "1h", "--to", "http://127.0.0.1:9/", "--dry-run"],
        "export": ["export"],
        "events": ["events"],
    }[name]


COMMANDS = ["list", "show", "stats", "history", "report", "why", "events", "replay", "export"]


@pytest.mark.parametrize("name", COMMANDS)
def test_archive_and_utc_work_before_and_after_the_subcommand(scenario, tmp_path, name):
    args = command_args(name, scenario, tmp_path)
    before = invoke("--archive", scenario.url, "--utc", *args)
    after = invoke(*args, "--archive", scenario.url, "--utc")

    assert before.exit_code == 0, before.output
    assert after.exit_code == 0, after.output
    assert after.stdout == before.stdout
    assert after.stderr == before.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_the_subcommands_archive_wins_over_the_groups_and_the_environment(scenario, tmp_path, name):
    args = command_args(name, scenario, tmp_path)
    missing = str(tmp_path / "no-archive-here")
    expected = invoke("--archive", scenario.url, "--utc", *args)

    over_group = invoke("--archive", missing, "--utc", *args, "--archive", scenario.url)
    over_env = invoke(*args, "--archive", scenario.url, "--utc", env={"ARCHIVE_URL": missing})

    assert over_group.exit_code == 0, over_group.output
    assert over_group.stdout == expected.stdout
    assert over_env.exit_code == 0, over_env.output
    assert over_env.stdout == expected.stdout


def test_archive_url_from_the_environment_still_applies_without_any_option(scenario):
    from_env = invoke("list", "--utc", env={"ARCHIVE_URL": scenario.url})
    from_option = invoke("--archive", scenario.url, "--utc", "list")

    assert from_env.exit_code == 0, from_env.output
    assert from_env.stdout == from_option.stdout


def test_a_missing_archive_given_after_the_subcommand_is_the_one_reported(tmp_path, scenario):
    missing = str(tmp_path / "elsewhere")
    result = invoke("--archive", scenario.url, "list", "--archive", missing)

    assert result.exit_code == 1
    assert f"no archive at {missing}" in result.stderr


def test_local_after_the_subcommand_overrides_the_groups_utc(scenario, local_zone):
    utc = invoke("--archive", scenario.url, "--utc", "list")
    local = invoke("--archive", scenario.url, "--utc", "list", "--local")

    assert "(UTC)" in utc.stdout.splitlines()[0]
    assert "(JST)" in local.stdout.splitlines()[0]


def test_utc_after_the_subcommand_reads_since_in_utc(scenario, local_zone):
    """--utc given last still applies to --since given before it (zone-less ISO times)."""
    start = (scenario.now - datetime.timedelta(hours=5, minutes=5)).astimezone(datetime.UTC)
    since = start.strftime("%Y-%m-%dT%H:%M:%S")  # no offset: read in the display zone
    in_utc = invoke("--archive", scenario.url, "list", "--since", since, "--json", "--utc")
    in_tokyo = invoke("--archive", scenario.url, "list", "--since", since, "--json", "--local")
    group_utc = invoke("--archive", scenario.url, "--utc", "list", "--since", since, "--json")

    assert in_utc.exit_code == 0, in_utc.output
    assert in_utc.stdout == group_utc.stdout
    assert len(in_utc.stdout.splitlines()) == 7  # the last 5h05m
    # Read as Tokyo time, the same clock reading is 9 hours earlier: everything in 24h and more.
    assert len(in_tokyo.stdout.splitlines()) > len(in_utc.stdout.splitlines())


def test_every_subcommand_takes_the_global_options_and_is_tested_in_both_places():
    assert sorted(cli_module.cli.commands) == sorted(COMMANDS)
    for name, command in cli_module.cli.commands.items():
        options = {opt for param in command.params for opt in param.opts + param.secondary_opts}
        assert {"--archive", "--utc", "--local"} <= options, name
