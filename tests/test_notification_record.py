"""`list --json` and `export` write one record shape: the documented JSON Schema, same bytes."""

import json
from importlib import resources

import jsonschema
import pytest

from tests.support.archives import build_scenario
from tests.support.cli import run

SCHEMA = json.loads(
    resources.files("alertarchive.schemas")
    .joinpath("archived-notification-record.schema.json")
    .read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return build_scenario(tmp_path_factory.mktemp("archive"))


def lines(result):
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("quarantined", [False, True], ids=["archived", "quarantined"])
def test_list_json_and_export_write_the_same_lines(scenario, quarantined):
    flag = ["--quarantined"] if quarantined else []
    listed = lines(run(scenario.url, "list", "--since", "7d", "--json", *flag))
    exported = lines(run(scenario.url, "export", "--since", "7d", *flag))

    assert listed  # the scenario has both kinds
    assert exported == list(reversed(listed))  # export is oldest first, list newest first


@pytest.mark.parametrize("command", [["list", "--json"], ["export"]])
@pytest.mark.parametrize("quarantined", [False, True], ids=["archived", "quarantined"])
def test_every_record_validates_and_is_compact_in_the_schemas_key_order(
    scenario, command, quarantined
):
    flag = ["--quarantined"] if quarantined else []
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for line in lines(run(scenario.url, *command, "--since", "7d", *flag)):
        record = json.loads(line)
        errors = [error.message for error in validator.iter_errors(record)]
        assert errors == [], line
        assert list(record) == SCHEMA["required"]
        assert line == json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def test_the_schema_admits_no_other_keys():
    assert SCHEMA["additionalProperties"] is False
    assert set(SCHEMA["properties"]) == set(SCHEMA["required"])
