"""The Terraform's contract with the code it deploys, read from a real plan.

`terraform show -json` of a plan (tests/support/terraform.py) says what Terraform will really
create: the function's entry point, runtime and environment, every IAM grant, the outputs and the
zip's inputs, with expressions evaluated and defaults applied. The code side is read from main.py
and alertarchive/.
"""

from __future__ import annotations

import ast
import functools
import pathlib
import re

import pytest

from alertarchive.receiver.receive import OutcomeName
from tests.support import source_zip, terraform

# Each plan runs real Terraform (seconds each): make test runs these, make test-fast does not.
pytestmark = pytest.mark.slow

ROOT = terraform.REPO
FUNCTION = "google_cloudfunctions2_function.this"
PROJECT = {"project_id": "my-monitoring-project"}

# What the deployed zip may contain: the entry point, its pins and the rooms of the package the
# function runs (schemas included), but not browse/ or __main__.py: the CLI's.
DEPLOYED_FILES = {"main.py", "requirements.txt", "alertarchive/__init__.py"}
DEPLOYED_DIRS = {"alertarchive/archive", "alertarchive/receiver", "alertarchive/schemas"}
CLI_ONLY = ("alertarchive/browse/", "alertarchive/__main__.py")

# Environment variables the code reads but Terraform deliberately leaves unset.
NOT_SET_BY_TERRAFORM = {
    "ALLOW_UNAUTHENTICATED": "turns the token check off; a deployed function must never have it",
    "REQUEST_READ_TIMEOUT_SECONDS": "the 10 s default bounds a stalled sender; Alertmanager "
    "sends a whole notification at once",
    "K_SERVICE": "set by Cloud Run on every instance; how the code knows it runs on Cloud",
    "STORAGE_EMULATOR_HOST": "tests only: points the storage client at fake-gcs-server",
}
# Environment variables Terraform sets for the runtime rather than for our code.
RUNTIME_ONLY = {
    "THREADS": "functions-framework's gunicorn thread count",
    "LOG_EXECUTION_ID": "functions-framework labels log lines with the execution id",
    "MALLOC_ARENA_MAX": "glibc's malloc: fewer per-thread arenas, less memory per instance",
}
ENV_READ = re.compile(
    r"""(?:environ\.(?:get|setdefault|pop)\(\s*|environ\[\s*|getenv\(\s*|environ\s*,\s*)"""
    r"""["']([A-Z][A-Z0-9_]*)["']"""
)


@functools.cache
def _plan(concurrency: int = 8) -> terraform.Plan:
    plan = terraform.plan({**PROJECT, "max_instance_request_concurrency": concurrency})
    assert plan.returncode == 0, plan.errors
    return plan


def _after(address: str, plan: terraform.Plan | None = None) -> dict:
    return (plan or _plan()).resource(address)["change"]["after"]


def _configured(address: str) -> dict:
    """The resource's configuration in the plan: its expressions and the references in them."""
    for resource in _plan().json["configuration"]["root_module"]["resources"]:
        if resource["address"] == address:
            return resource
    raise KeyError(address)


def _service_config(plan: terraform.Plan | None = None) -> dict:
    return _after(FUNCTION, plan)["service_config"][0]


def _code_files() -> list[pathlib.Path]:
    """The Python the function runs: what the zip holds (the CLI's browse/ is left out)."""
    deployed = source_zip.zipped_files(ROOT, _excludes())
    return [ROOT / name for name in deployed if name.endswith(".py")]


def _env_vars_read_by_code() -> set[str]:
    return {name for path in _code_files() for name in ENV_READ.findall(path.read_text())}


def _env_vars_set_by_terraform() -> set[str]:
    config = _service_config()
    secrets = {item["key"] for item in config["secret_environment_variables"]}
    return set(config["environment_variables"]) | secrets


# ---------------------------------------------------------------------------
# The function and the code it runs
# ---------------------------------------------------------------------------


def test_entry_point_is_an_http_function_in_main_py():
    entry_point = _after(FUNCTION)["build_config"][0]["entry_point"]

    tree = ast.parse((ROOT / "main.py").read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

    assert entry_point in functions, f"terraform deploys {entry_point!r}, main.py has no such def"
    decorators = [ast.unparse(d) for d in functions[entry_point].decorator_list]
    assert "functions_framework.http" in decorators


def test_runtime_is_python_312():
    assert _after(FUNCTION)["build_config"][0]["runtime"] == "python312"


def test_code_reads_the_variables_the_contract_names():
    """Guards the scan below: if the code reads config another way, fix ENV_READ, don't skip."""
    assert {"ARCHIVE_URL", "WEBHOOK_TOKENS"} <= _env_vars_read_by_code()


def test_every_variable_the_code_reads_is_set_or_deliberately_left_unset():
    unaccounted = (
        _env_vars_read_by_code() - _env_vars_set_by_terraform() - set(NOT_SET_BY_TERRAFORM)
    )

    assert not unaccounted, (
        f"the code reads {sorted(unaccounted)}: set them in service_config.environment_variables "
        "or document why not in NOT_SET_BY_TERRAFORM"
    )


def test_every_variable_left_unset_on_purpose_is_one_the_function_reads():
    """Keeps NOT_SET_BY_TERRAFORM honest: an entry nothing deployed reads is stale."""
    stale = set(NOT_SET_BY_TERRAFORM) - _env_vars_read_by_code() - {"STORAGE_EMULATOR_HOST"}

    assert not stale, f"nothing the function runs reads {sorted(stale)}"


def test_every_variable_terraform_sets_is_read_by_someone():
    """Catches typos such as ARCHIVE_URI, which the function would silently ignore."""
    unused = _env_vars_set_by_terraform() - _env_vars_read_by_code() - set(RUNTIME_ONLY)

    assert not unused, f"terraform sets {sorted(unused)} but nothing reads them"


def test_authentication_cannot_be_switched_off_by_terraform():
    assert "ALLOW_UNAUTHENTICATED" not in _env_vars_set_by_terraform()


def test_tokens_come_from_the_secret_version_terraform_created():
    config = _service_config()
    (secret,) = config["secret_environment_variables"]
    references = _configured(FUNCTION)["expressions"]["service_config"][0]
    wiring = references["secret_environment_variables"][0]

    assert "WEBHOOK_TOKENS" not in config["environment_variables"]
    assert secret["key"] == "WEBHOOK_TOKENS"
    assert secret["secret"] == "alertarchive-webhook-tokens"
    assert (
        "google_secret_manager_secret_version.webhook_tokens.version"
        in (wiring["version"]["references"])
    )


@pytest.mark.parametrize("concurrency", [8, 3])
def test_threads_follow_the_request_concurrency(concurrency):
    config = _service_config(_plan(concurrency))

    assert config["max_instance_request_concurrency"] == concurrency
    assert config["environment_variables"]["THREADS"] == str(concurrency)


def test_archive_url_points_at_the_archive_bucket():
    bucket = _after("google_storage_bucket.archive")["name"]

    assert _service_config()["environment_variables"]["ARCHIVE_URL"] == f"gs://{bucket}"


def test_the_platform_labels_log_lines_with_the_execution_id():
    assert _service_config()["environment_variables"]["LOG_EXECUTION_ID"] == "true"


def test_min_instances_default_to_zero():
    assert _service_config()["min_instance_count"] == 0


def test_function_runs_as_its_own_account():
    references = _configured(FUNCTION)["expressions"]["service_config"][0]

    assert (
        "google_service_account.function.email"
        in (references["service_account_email"]["references"])
    )
    build = _configured(FUNCTION)["expressions"]["build_config"][0]
    assert "google_service_account.build.id" in build["service_account"]["references"]


# ---------------------------------------------------------------------------
# Least privilege
# ---------------------------------------------------------------------------


def _grants() -> dict[str, dict]:
    """Every IAM resource the plan creates -> its planned values and configured references."""
    return {
        change["address"]: {
            **change["change"]["after"],
            "references": _configured(re.sub(r"\[.*\]$", "", change["address"]))["expressions"],
        }
        for change in _plan().json["resource_changes"]
        if re.search(r"_iam_(member|binding|policy)$", change["type"])
    }


def _member_reference(grant: dict) -> str:
    member = grant["references"]["member"]
    return member.get("references", [member.get("constant_value")])[0]


def test_iam_is_additive_only():
    """_iam_binding and _iam_policy are authoritative and would remove other principals' access."""
    assert all("_iam_member." in address for address in _grants())


def test_function_account_may_only_create_and_get_archive_objects_and_read_its_secret():
    grants = [
        (address.split(".")[0], grant["role"], grant)
        for address, grant in _grants().items()
        if _member_reference(grant) == "google_service_account.function.email"
    ]

    # legacyObjectReader is storage.objects.get alone: confirming a 403'd resend (gcs.py).
    assert {(kind, role) for kind, role, _ in grants} == {
        ("google_storage_bucket_iam_member", "roles/storage.objectCreator"),
        ("google_storage_bucket_iam_member", "roles/storage.legacyObjectReader"),
        ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor"),
    }
    archive = _after("google_storage_bucket.archive")["name"]
    for kind, _, grant in grants:
        if kind == "google_storage_bucket_iam_member":
            assert grant["bucket"] == archive
        else:
            assert grant["secret_id"] == "alertarchive-webhook-tokens"


def test_build_account_reads_exactly_the_two_source_buckets():
    (grant,) = [g for a, g in _grants().items() if a.endswith("build_source_reader")]
    project_number = _prior("data.google_project.this")["number"]
    source = _after("google_storage_bucket.source")["name"]
    staging = f"gcf-v2-sources-{project_number}-us-central1"

    assert grant["role"] == "roles/storage.objectViewer"
    assert grant["condition"][0]["expression"] == " || ".join(
        f'resource.name == "projects/_/buckets/{b}" || '
        f'resource.name.startsWith("projects/_/buckets/{b}/")'
        for b in (source, staging)
    )


def test_only_the_invoker_grants_anything_beyond_our_accounts_and_the_storage_agent():
    ours = {
        "google_service_account.function.email",
        "google_service_account.build.email",
    }

    others = {a: g for a, g in _grants().items() if _member_reference(g) not in ours}

    assert list(others) == ['google_cloud_run_service_iam_member.invoker["allUsers"]']
    (invoker,) = others.values()
    assert (invoker["role"], invoker["member"]) == ("roles/run.invoker", "allUsers")
    assert invoker["service"] == _after(FUNCTION)["name"]


# ---------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "sensitive"),
    [
        ("alertmanager_receiver", True),
        ("alertmanager_event_recorder", True),
        ("webhook_token", True),
        ("function_name", False),
    ],
)
def test_only_outputs_holding_the_token_are_sensitive(output, sensitive):
    change = _plan().json["output_changes"][output]

    assert change["after_sensitive"] is sensitive


def test_outputs_name_what_was_planned():
    outputs = _plan().json["output_changes"]

    assert outputs["function_name"]["after"] == _after(FUNCTION)["name"]
    assert (
        outputs["archive_url"]["after"] == _service_config()["environment_variables"]["ARCHIVE_URL"]
    )
    assert outputs["bigquery_dataset"]["after"] is None
    assert outputs["function_url"]["after_unknown"] is True  # known only once deployed


# ---------------------------------------------------------------------------
# The deployed zip: archive_file's walk, replayed with the excludes Terraform evaluated
# ---------------------------------------------------------------------------


def _prior(address: str) -> dict:
    """A data source's values as read during the plan."""
    for resource in _plan().json["prior_state"]["values"]["root_module"]["resources"]:
        if resource["address"] == address:
            return resource["values"]
    raise KeyError(address)


def _excludes() -> list[str]:
    return source_zip.planned_excludes(_plan().json)


def zipped_files(root: pathlib.Path, excludes: list[str]) -> set[str]:
    return set(source_zip.zipped_files(root, excludes))


def test_zip_is_built_from_the_directory_above_terraform():
    # The plan runs in a copy of terraform/ inside the workspace; its parent stands for the
    # repository root, as terraform/'s parent does in a checkout.
    assert _prior("data.archive_file.source")["source_dir"] == str(terraform.workspace().root)


@pytest.mark.parametrize(
    "directory", ["tests", "terraform", "examples", "bench", ".git", ".venv", ".cache", "archive"]
)
def test_zip_excludes(directory):
    assert any(source_zip.glob_match(pattern, directory) for pattern in _excludes())


def test_no_exclude_pattern_matches_the_root_itself():
    """archive_file checks "." too; a match there would prune the whole tree (e.g. ".*")."""
    assert not [pattern for pattern in _excludes() if source_zip.glob_match(pattern, ".")]


def _deployed(path: str) -> bool:
    return path in DEPLOYED_FILES or any(path.startswith(f"{d}/") for d in DEPLOYED_DIRS)


def _modules_imported_from(entry: pathlib.Path) -> set[str]:
    """The package's files that loading entry executes, following every import through them."""
    # Imports inside functions count (gcs.py is imported only for gs://), and a submodule's
    # import runs its packages' __init__.py too.
    found: set[str] = set()
    pending = [entry]
    while pending:
        path = pending.pop()
        relative = path.relative_to(ROOT).as_posix()
        if relative in found:
            continue
        found.add(relative)
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        for name in names:
            parts = name.split(".")
            if parts[0] != "alertarchive":
                continue
            for depth in range(1, len(parts) + 1):
                base = ROOT.joinpath(*parts[:depth])
                for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                    if candidate.is_file():
                        pending.append(candidate)
    return found


def test_zip_holds_only_what_runs():
    files = zipped_files(ROOT, _excludes())

    stray = sorted(f for f in files if not _deployed(f))

    assert not stray, f"these would be deployed; add them to local.source_excludes: {stray}"


def test_zip_holds_everything_that_runs():
    expected = {f for f in DEPLOYED_FILES if (ROOT / f).exists()}
    for directory in DEPLOYED_DIRS:
        expected |= {
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / directory).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }

    missing = expected - zipped_files(ROOT, _excludes())

    assert not missing, f"excluded from the deployed zip by mistake: {sorted(missing)}"


def test_zip_holds_every_module_main_py_imports():
    missing = _modules_imported_from(ROOT / "main.py") - zipped_files(ROOT, _excludes())

    assert not missing, f"the function imports these, but the zip leaves them out: {missing}"


def test_zip_leaves_out_the_cli():
    cli_files = sorted(f for f in zipped_files(ROOT, _excludes()) if f.startswith(CLI_ONLY))

    assert not cli_files, f"the function never imports these; exclude them: {cli_files}"


def test_zip_replay_prunes_and_skips_like_archive_file(tmp_path):
    for path in [
        "main.py",
        "alertarchive/a.py",
        "alertarchive/__pycache__/a.pyc",
        "tests/t.py",
        ".venv-tf/x",
        "README.md",
    ]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")

    files = zipped_files(tmp_path, ["tests", ".?*", "**/__pycache__", "*.md"])

    assert files == {"main.py", "alertarchive/a.py"}


def test_source_object_name_carries_the_zips_hash():
    source = _after("google_storage_bucket_object.source")

    assert source["name"] == f"alertarchive-{_prior('data.archive_file.source')['output_md5']}.zip"
    assert _prior("data.archive_file.source")["output_file_mode"] == "0644"


# ---------------------------------------------------------------------------
# The log-based metrics: the outcomes their filters name are the receiver's
# ---------------------------------------------------------------------------

MONITORING = {
    "enable_monitoring": True,
    "notification_channels": ["projects/my-monitoring-project/notificationChannels/1234567890"],
}
# Outcomes the receiver logs that no metric or alert policy counts, and why.
NOT_METERED = {
    OutcomeName.HEALTH: "probes (Cloud Run's, a load balancer's) are not notifications",
    OutcomeName.EVENT_STORED: "the event recorder's answers; no metric counts events yet",
    OutcomeName.EVENT_DUPLICATE: "the event recorder's answers; no metric counts events yet",
}
# `outcome="x"` or `outcome=("x" OR "y")`, as jsonPayload.outcome or a metric's label.
_OUTCOME_FILTER = re.compile(r'outcome\s*=\s*(\((?:\s*"[^"]*"\s*(?:OR)?)+\)|"[^"]*")')


def _filters(value) -> list[str]:
    """Every `filter` string anywhere in a planned resource."""
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k == "filter" and isinstance(v, str)]
        return found + [f for v in value.values() for f in _filters(v)]
    if isinstance(value, list):
        return [f for v in value for f in _filters(v)]
    return []


def _outcomes_filtered_on() -> dict[str, list[str]]:
    """Each outcome name a metric or alert policy filters on, with the resources naming it."""
    plan = terraform.plan({**PROJECT, **MONITORING})
    assert plan.returncode == 0, plan.errors
    named: dict[str, list[str]] = {}
    for change in plan.json["resource_changes"]:
        if change["type"] not in ("google_logging_metric", "google_monitoring_alert_policy"):
            continue
        for text in _filters(change["change"]["after"]):
            for match in _OUTCOME_FILTER.finditer(text):
                for name in re.findall(r'"([^"]*)"', match.group(1)):
                    named.setdefault(name, []).append(change["address"])
    return named


def test_log_metrics_filter_on_exactly_the_outcomes_the_receiver_logs():
    named = _outcomes_filtered_on()

    unknown = {name: where for name, where in named.items() if name not in set(OutcomeName)}
    assert not unknown, f"these filters name outcomes the receiver never logs: {unknown}"
    assert set(named) == set(OutcomeName) - set(NOT_METERED)


def test_the_outcome_filter_reader_sees_both_spellings():
    text = 'x AND jsonPayload.outcome="unavailable" AND metric.label.outcome=("a" OR "b")'

    assert [m.group(1) for m in _OUTCOME_FILTER.finditer(text)] == ['"unavailable"', '("a" OR "b")']
