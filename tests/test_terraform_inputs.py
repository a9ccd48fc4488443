"""Real Terraform plans terraform/ in the shapes people deploy it, and refuses bad inputs.

Each shape is a `terraform plan` of the real configuration against the stand-in providers
(tests/support/terraform.py): required variables only, the tfvars example, each optional
feature on and off. Each validation block in variables.tf is given a bad value and must fail
with its own error_message, and nothing else.
"""

from __future__ import annotations

import functools
import json
import re

import pytest

from tests.support import terraform

# Each plan runs real Terraform (seconds each): make test runs these, make test-fast does not.
pytestmark = pytest.mark.slow

PROJECT = {"project_id": "my-monitoring-project"}
CHANNEL = "projects/my-monitoring-project/notificationChannels/1234567890"

# The shapes, each planned once per session (two at a time) and read by the tests below.
SHAPES = {
    "required-only": {},
    "apis-owned-elsewhere": {"enable_apis": False},
    "bigquery": {"enable_bigquery": True, "archive_prefix": "prod/eu"},
    "bigquery-dual-region": {
        "enable_bigquery": True,
        "bucket_location": "EUR4",
        "bigquery_location": "EU",
    },
    "monitoring": {"enable_monitoring": True, "notification_channels": [CHANNEL]},
    "freshness-only": {"enable_freshness_alert": True, "notification_channels": [CHANNEL]},
    "cmek": {"kms_key_name": "projects/k/locations/us-central1/keyRings/r/cryptoKeys/alerts"},
    "retention": {
        "retention_days": 0,
        "nearline_after_days": 30,
        "coldline_after_days": 90,
        "retention_policy_days": 365,
        "retention_policy_locked": True,
    },
    "private-invoker": {
        "invoker_members": ["serviceAccount:proxy@my-monitoring-project.iam.gserviceaccount.com"],
        "ingress_settings": "ALLOW_INTERNAL_ONLY",
    },
    "nulls-mean-defaults": {"retention_days": None, "labels": None, "invoker_members": None},
}


@functools.cache
def _plans() -> dict[str, terraform.Plan]:
    inputs = [{**PROJECT, **variables} for variables in SHAPES.values()]
    return dict(zip(SHAPES, terraform.plan_many(inputs), strict=True))


def _planned(shape: str) -> terraform.Plan:
    plan = _plans()[shape]
    assert plan.returncode == 0, plan.errors or plan.stderr
    return plan


def _addresses(plan: terraform.Plan) -> set[str]:
    """Every resource the plan creates, with its index ("google_x.y[0]")."""
    return {
        change["address"] for change in plan.json["resource_changes"] if change["mode"] == "managed"
    }


def _after(plan: terraform.Plan, address: str) -> dict:
    return plan.resource(address)["change"]["after"]


OPTIONAL_TYPES = ("google_bigquery_", "google_logging_metric", "google_monitoring_alert_policy")


# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_shape_plans(shape):
    plan = _planned(shape)

    assert plan.json["errored"] is False
    assert "google_cloudfunctions2_function.this" in _addresses(plan)


def test_tfvars_example_plans_every_feature_it_turns_on():
    plan = terraform.plan(var_file=terraform.TERRAFORM / "terraform.tfvars.example")

    assert plan.returncode == 0, plan.errors
    created = _addresses(plan)
    assert "google_bigquery_table.alerts[0]" in created
    assert "google_monitoring_alert_policy.freshness[0]" in created
    assert _after(plan, "google_storage_bucket.archive")["location"] == "EUROPE-WEST1"


def test_required_only_creates_no_optional_feature():
    created = _addresses(_planned("required-only"))

    assert not [address for address in created if address.startswith(OPTIONAL_TYPES)]
    assert "time_sleep.storage_agent_key_access[0]" not in created


def test_apis_owned_elsewhere_enables_none_and_does_not_wait_for_them():
    plan = _planned("apis-owned-elsewhere")

    assert not [a for a in _addresses(plan) if a.startswith("google_project_service.")]
    assert _after(plan, "time_sleep.services_ready")["create_duration"] == "0s"
    assert _after(_planned("required-only"), "time_sleep.services_ready")["create_duration"] != "0s"


def test_bigquery_reads_the_archive_under_its_prefix_in_the_buckets_location():
    plan = _planned("bigquery")
    raw = _after(plan, "google_bigquery_table.notifications_raw[0]")
    external = raw["external_data_configuration"][0]

    assert _after(plan, "google_bigquery_dataset.archive[0]")["location"] == "us-central1"
    events_raw = _after(plan, "google_bigquery_table.events_raw[0]")["external_data_configuration"]
    assert events_raw[0]["source_uris"] == [
        "gs://my-monitoring-project-alertarchive-archive/prod/eu/events/*"
    ]
    assert "google_bigquery_table.events[0]" in _addresses(plan)
    assert external["source_uris"] == [
        "gs://my-monitoring-project-alertarchive-archive/prod/eu/alerts/*"
    ]
    assert external["hive_partitioning_options"][0]["source_uri_prefix"].startswith(
        "gs://my-monitoring-project-alertarchive-archive/prod/eu/alerts/{dt:DATE}"
    )
    environment = _after(plan, "google_cloudfunctions2_function.this")["service_config"][0]
    assert environment["environment_variables"]["ARCHIVE_URL"] == (
        "gs://my-monitoring-project-alertarchive-archive/prod/eu"
    )


def test_a_dual_region_bucket_takes_the_bigquery_location_given():
    plan = _planned("bigquery-dual-region")

    assert _after(plan, "google_storage_bucket.archive")["location"] == "EUR4"
    assert _after(plan, "google_bigquery_dataset.archive[0]")["location"] == "EU"


def test_monitoring_waits_for_its_metrics_and_alerts_on_any_5xx():
    plan = _planned("monitoring")
    created = _addresses(plan)
    write_failures = _after(plan, "google_monitoring_alert_policy.write_failures[0]")

    assert {
        "google_logging_metric.write_failures[0]",
        "google_logging_metric.rejected_requests[0]",
        "google_logging_metric.archived[0]",
        "google_monitoring_alert_policy.rejected_requests[0]",
        "time_sleep.metrics_ready[0]",
    } <= created
    assert "google_monitoring_alert_policy.freshness[0]" not in created
    filters = [c["condition_threshold"][0]["filter"] for c in write_failures["conditions"]]
    assert any(
        'response_code_class="5xx"' in f and "run.googleapis.com/request_count" in f
        for f in filters
    )
    assert write_failures["notification_channels"] == [CHANNEL]


def test_freshness_alone_creates_the_archived_metric_and_one_policy():
    created = _addresses(_planned("freshness-only"))

    assert {a for a in created if a.startswith(OPTIONAL_TYPES)} == {
        "google_logging_metric.archived[0]",
        "google_monitoring_alert_policy.freshness[0]",
    }


def test_cmek_grants_the_storage_agent_and_waits_before_the_bucket():
    plan = _planned("cmek")
    bucket = _after(plan, "google_storage_bucket.archive")

    assert bucket["encryption"] == [{"default_kms_key_name": SHAPES["cmek"]["kms_key_name"]}]
    assert "google_kms_crypto_key_iam_member.archive_storage_agent[0]" in _addresses(plan)
    assert "time_sleep.storage_agent_key_access[0]" in _addresses(plan)
    depends_on = _configured(plan, "google_storage_bucket.archive").get("depends_on", [])
    assert "time_sleep.storage_agent_key_access" in depends_on


def test_retention_settings_become_lifecycle_rules_and_a_locked_policy():
    bucket = _after(_planned("retention"), "google_storage_bucket.archive")
    actions = [
        (
            rule["action"][0]["type"],
            rule["action"][0].get("storage_class") or None,
            rule["condition"][0]["age"],
        )
        for rule in bucket["lifecycle_rule"]
    ]

    assert actions == [("SetStorageClass", "NEARLINE", 30), ("SetStorageClass", "COLDLINE", 90)]
    # google 7.0 made retention_period a string (tf_standin/providers.py lists the deltas).
    assert bucket["retention_policy"] == [{"is_locked": True, "retention_period": str(365 * 86400)}]


def test_default_retention_deletes_after_400_days():
    bucket = _after(_planned("required-only"), "google_storage_bucket.archive")

    assert [
        (r["action"][0]["type"], r["condition"][0]["age"]) for r in bucket["lifecycle_rule"]
    ] == [("Delete", 400)]


def test_private_invoker_grants_only_the_members_given():
    plan = _planned("private-invoker")
    invokers = [a for a in _addresses(plan) if a.startswith("google_cloud_run_service_iam_member.")]

    assert [_after(plan, a)["member"] for a in invokers] == SHAPES["private-invoker"][
        "invoker_members"
    ]
    function = _after(plan, "google_cloudfunctions2_function.this")
    assert function["service_config"][0]["ingress_settings"] == "ALLOW_INTERNAL_ONLY"
    public = _planned("required-only")
    assert [
        _after(public, a)["member"]
        for a in _addresses(public)
        if a.startswith("google_cloud_run_service_iam_member.")
    ] == ["allUsers"]


def test_null_means_the_default():
    plan = _planned("nulls-mean-defaults")
    bucket = _after(plan, "google_storage_bucket.archive")

    assert [r["condition"][0]["age"] for r in bucket["lifecycle_rule"]] == [400]
    assert bucket["labels"] == {"app": "alertarchive", "component": "alertarchive"}


def _configured(plan: terraform.Plan, address: str) -> dict:
    """A resource's configuration block in the plan (expressions, depends_on)."""
    for resource in plan.json["configuration"]["root_module"]["resources"]:
        if resource["address"] == address:
            return resource
    raise KeyError(address)


# ---------------------------------------------------------------------------
# Bad values: each validation block fails with its own message, and only it
# ---------------------------------------------------------------------------

# (case, variables, the variable whose validation must fail, the start of its error_message)
BAD_VALUES = [
    (
        "project-name",
        {"project_id": "My Project"},
        "project_id",
        "The project_id must be a project ID",
    ),
    (
        "project-number",
        {"project_id": "123456789012"},
        "project_id",
        "The project_id must be a project ID",
    ),
    (
        "zone-as-region",
        {"region": "europe-west1-b"},
        "region",
        "The region must be a Google Cloud region",
    ),
    ("name-uppercase", {"name": "AlertArchive"}, "name", "The name must be 4-24 characters"),
    ("name-too-long", {"name": "a" * 25}, "name", "The name must be 4-24 characters"),
    ("label-key", {"labels": {"Team": "sre"}}, "labels", "Label keys must start"),
    (
        "bucket-goog",
        {"bucket_name": "google-archive"},
        "bucket_name",
        "The bucket_name must be 3-63",
    ),
    (
        "bucket-zone",
        {"bucket_location": "europe-west1-b"},
        "bucket_location",
        "The bucket_location must be",
    ),
    (
        "prefix-slashes",
        {"archive_prefix": "/alerts/"},
        "archive_prefix",
        "The archive_prefix must be empty",
    ),
    (
        "storage-class",
        {"storage_class": "REGIONAL"},
        "storage_class",
        "The storage_class must be one of",
    ),
    (
        "retention-fraction",
        {"retention_days": 1.5},
        "retention_days",
        "The retention_days must be a whole",
    ),
    (
        "nearline-after-delete",
        {"retention_days": 30, "nearline_after_days": 60},
        "nearline_after_days",
        "The nearline_after_days must be",
    ),
    (
        "coldline-before-nearline",
        {"nearline_after_days": 60, "coldline_after_days": 30},
        "coldline_after_days",
        "The coldline_after_days must be",
    ),
    (
        "policy-over-retention",
        {"retention_days": 30, "retention_policy_days": 60},
        "retention_policy_days",
        "The retention_policy_days must be",
    ),
    (
        "lock-without-policy",
        {"retention_policy_locked": True},
        "retention_policy_locked",
        "The retention_policy_locked flag needs",
    ),
    (
        "soft-delete-3",
        {"soft_delete_retention_days": 3},
        "soft_delete_retention_days",
        "The soft_delete_retention_days must be",
    ),
    (
        "kms-short-name",
        {"kms_key_name": "alerts-key"},
        "kms_key_name",
        "The kms_key_name must be a full key name",
    ),
    (
        "concurrency-0",
        {"max_instance_request_concurrency": 0},
        "max_instance_request_concurrency",
        "The max_instance_request_concurrency must be",
    ),
    ("cpu-abc", {"available_cpu": "abc"}, "available_cpu", "The available_cpu must be a number"),
    (
        "cpu-half-with-concurrency",
        {"available_cpu": "0.5"},
        "available_cpu",
        "The available_cpu must be a number",
    ),
    (
        "memory-MB",
        {"available_memory": "512MB"},
        "available_memory",
        "The available_memory must be",
    ),
    (
        "min-negative",
        {"min_instance_count": -1},
        "min_instance_count",
        "The min_instance_count must be",
    ),
    (
        "max-below-min",
        {"min_instance_count": 3, "max_instance_count": 2},
        "max_instance_count",
        "The max_instance_count must be",
    ),
    ("timeout-3601", {"timeout_seconds": 3601}, "timeout_seconds", "The timeout_seconds must be"),
    (
        "storage-timeout-not-below",
        {"timeout_seconds": 10, "storage_timeout_seconds": 10},
        "storage_timeout_seconds",
        "The storage_timeout_seconds must be",
    ),
    (
        "body-over-32MiB",
        {"max_body_bytes": 33554433},
        "max_body_bytes",
        "The max_body_bytes must be",
    ),
    (
        "ingress",
        {"ingress_settings": "INTERNAL"},
        "ingress_settings",
        "The ingress_settings must be",
    ),
    (
        "invoker-bare-email",
        {"invoker_members": ["sre@example.com"]},
        "invoker_members",
        "Each invoker member must be",
    ),
    (
        "token-with-comma",
        {"additional_webhook_tokens": ["abcdefghijklmnop,q"]},
        "additional_webhook_tokens",
        "Each additional webhook token",
    ),
    (
        "dataset-dash",
        {"bigquery_dataset_id": "alert-archive"},
        "bigquery_dataset_id",
        "The bigquery_dataset_id must be",
    ),
    (
        "dataset-1025",
        {"bigquery_dataset_id": "a" * 1025},
        "bigquery_dataset_id",
        "The bigquery_dataset_id must be",
    ),
    (
        "bigquery-on-asia",
        {"enable_bigquery": True, "bucket_location": "ASIA"},
        "bigquery_location",
        "With enable_bigquery and a bucket_location",
    ),
    (
        "freshness-1",
        {"freshness_alert_minutes": 1},
        "freshness_alert_minutes",
        "The freshness_alert_minutes must be",
    ),
    (
        "threshold-negative",
        {"rejected_requests_threshold": -1},
        "rejected_requests_threshold",
        "The rejected_requests_threshold must be",
    ),
    (
        "channel-bare-id",
        {"notification_channels": ["1234567890"]},
        "notification_channels",
        "Each notification channel must be",
    ),
    (
        "alerts-to-nobody",
        {"enable_monitoring": True},
        "notification_channels",
        "The alert policies that enable_monitoring",
    ),
]


def _validation_rules() -> dict[int, str]:
    """Line of each `validation {` in variables.tf -> the variable it belongs to."""
    rules, variable = {}, None
    for number, line in enumerate(
        (terraform.TERRAFORM / "variables.tf").read_text().splitlines(), 1
    ):
        if match := re.match(r'variable "(\w+)"', line):
            variable = match[1]
        elif line.strip() == "validation {":
            rules[number] = variable
    return rules


def _related_variables() -> dict[str, set[str]]:
    """Each variable -> itself and every variable a validation of either side refers to."""
    text = (terraform.TERRAFORM / "variables.tf").read_text()
    refers = {
        match[1]: set(re.findall(r"\bvar\.(\w+)", match[2]))
        for match in re.finditer(r'(?ms)^variable "(\w+)" \{(.*?)^\}', text)
    }
    return {
        name: {name} | refers[name] | {other for other, uses in refers.items() if name in uses}
        for name in refers
    }


def _groups() -> list[list[tuple]]:
    """BAD_VALUES packed into few plans: no two cases in a plan touch related variables."""
    related = _related_variables()
    groups: list[tuple[set[str], list[tuple]]] = []
    for case in BAD_VALUES:
        footprint = set().union(*(related[name] for name in case[1]))
        for touched, group in groups:
            if not touched & footprint:
                touched |= footprint
                group.append(case)
                break
        else:
            groups.append((footprint, [case]))
    return [group for _, group in groups]


@functools.cache
def _bad_value_errors() -> dict[str, list[tuple[str, str]]]:
    """case -> the (variable, message) of each validation error its plan reported."""
    groups = _groups()
    plans = terraform.plan_many(
        [{**PROJECT, **{k: v for case in group for k, v in case[1].items()}} for group in groups]
    )
    rules = _validation_rules()
    found = {}
    for group, plan in zip(groups, plans, strict=True):
        assert plan.returncode != 0
        reported = []
        for diagnostic in plan.diagnostics:
            line = re.search(
                r"checked by the validation rule at variables\.tf:(\d+)",
                diagnostic.get("detail", ""),
            )
            assert diagnostic["severity"] != "error" or line, (
                f"not a validation error: {diagnostic}"
            )
            if line:
                reported.append((rules[int(line[1])], diagnostic["detail"].split("\n\n")[0]))
        for case in group:
            found[case[0]] = reported
    return found


def test_every_validation_block_has_a_bad_value_case():
    covered = {variable for _, _, variable, _ in BAD_VALUES}
    rule_lines = _validation_rules()
    per_variable = {
        v: sum(1 for x in rule_lines.values() if x == v) for v in set(rule_lines.values())
    }
    messages = {message for _, _, _, message in BAD_VALUES}

    assert covered == set(per_variable)
    # A variable with two validation blocks needs a case for each message.
    for variable, count in per_variable.items():
        assert len({m for _, _, v, m in BAD_VALUES if v == variable}) >= count, variable
    assert len(messages) >= len(rule_lines)


@pytest.mark.parametrize(
    ("case", "variables", "variable", "message"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES]
)
def test_bad_value_fails_with_its_own_message(case, variables, variable, message):
    reported = _bad_value_errors()[case]

    assert any(v == variable and m.startswith(message) for v, m in reported), reported


def test_each_bad_value_plan_reports_exactly_its_cases():
    errors = _bad_value_errors()
    for group in _groups():
        reported = sorted(errors[group[0][0]])
        expected = sorted((variable, message) for _, _, variable, message in group)
        assert len(reported) == len(expected), json.dumps(reported, indent=1)
        for (variable, message), (got_variable, got_message) in zip(
            expected, reported, strict=True
        ):
            assert got_variable == variable and got_message.startswith(message), (
                reported,
                expected,
            )
