"""The function in the shape Cloud Functions gen2 runs it, built from what terraform/ declares.

- the files terraform/main.tf's archive_file zips (its own source_dir and excludes, replayed);
- a venv of the runtime's Python (3.12) holding requirements.txt only, as the buildpack
  installs it (no dev requirements, no editable install of this project);
- the environment `terraform plan` gives the function resource, plus what the platform injects;
- started as the Python buildpack's web process: `functions-framework`, no arguments, in the
  source folder, after `python -m compileall` (GoogleCloudPlatform/buildpacks,
  cmd/python/functions_framework/lib/lib.go).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import pathlib
import shutil
import sys

from alertarchive.receiver.receive import LIVENESS_PATH
from tests.support import source_zip, venvs
from tests.support.processes import REPO, Process, free_port, http_answers, wait_until

# Under .venv-*: ignored by git (.gitignore) and left out of the zip (".?*").
CACHE = REPO / ".venv-deployed"
RUNTIME_PYTHON = "3.12"  # build_config.runtime = "python312"
# The platform's variables, beside what service_config sets:
# - PORT, K_SERVICE, K_REVISION, K_CONFIGURATION: Cloud Run's container runtime contract,
#   https://cloud.google.com/run/docs/reference/container-contract#env-vars
# - FUNCTION_TARGET, FUNCTION_SIGNATURE_TYPE: reserved variables Cloud Run sets for functions,
#   https://cloud.google.com/run/docs/configuring/services/overview-environment-variables
#   (the buildpack's launch layer sets them from entry_point and the trigger type);
# - LOG_EXECUTION_ID=true: added to every function created through the Cloud Functions v2
#   API, as Terraform creates this one; only Cloud Run Admin API deployments must set it
#   themselves (https://cloud.google.com/functions/docs/concepts/java-runtime, "Execution ID";
#   the platform, not the language, adds it). terraform/ declares it too.
SIGNATURE_TYPE = "http"


# ---------------------------------------------------------------------------
# The source: what archive_file zips
# ---------------------------------------------------------------------------


def zip_excludes() -> list[str]:
    """archive_file.source's excludes, as a plan of the configuration evaluates them."""
    from tests.support import terraform  # real Terraform; skips (fails on CI) without tf-tools

    plan = terraform.plan({"project_id": "my-monitoring-project"})
    if plan.returncode != 0 or plan.json is None:
        raise RuntimeError("terraform plan failed:\n" + "\n".join(plan.errors))
    return source_zip.planned_excludes(plan.json)


def zipped_files(root: pathlib.Path, excludes: list[str]) -> list[str]:
    """The files archive_file would zip from root."""
    return source_zip.zipped_files(root, excludes)


def build_source(destination: pathlib.Path) -> list[str]:
    """Copy exactly the files the zip would hold into destination; their paths."""
    files = zipped_files(REPO, zip_excludes())
    for path in files:
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / path, target)
    return files


# ---------------------------------------------------------------------------
# The runtime venv: requirements.txt only
# ---------------------------------------------------------------------------


def runtime_python() -> pathlib.Path | None:
    """A Python 3.12, found as the Makefile finds one (pyenv first, then PATH)."""
    candidates = sorted(glob.glob(f"/root/.pyenv/versions/{RUNTIME_PYTHON}*/bin/python3.12"))
    found = candidates[0] if candidates else shutil.which("python3.12")
    if found is None and sys.version_info[:2] == (3, 12):
        found = sys.executable
    return pathlib.Path(found) if found else None


def runtime_venv(python: pathlib.Path) -> pathlib.Path:
    """A venv holding requirements.txt only, reused while requirements.txt is unchanged.

    Keyed by the file's hash and the interpreter; pip's downloads are cached beside it, so
    even a rebuild fetches nothing twice.
    """
    requirements = (REPO / "requirements.txt").read_bytes()
    key = hashlib.sha256(requirements + str(python.resolve()).encode()).hexdigest()[:16]
    return venvs.cached_venv(
        CACHE, f"runtime-{key}", python, lambda: ["-r", str(REPO / "requirements.txt")]
    )


def compile_source(venv: pathlib.Path, source: pathlib.Path) -> None:
    """What the buildpack runs first; a syntax error fails the build, not the first request."""
    venvs.run([str(venv / "bin" / "python"), "-m", "compileall", "-f", "-q", "."], cwd=source)


# ---------------------------------------------------------------------------
# The environment
# ---------------------------------------------------------------------------


def planned_function(variables: dict[str, object]) -> dict:
    """google_cloudfunctions2_function.this as `terraform plan` with these inputs would create it.

    Raises:
        RuntimeError: the plan failed, with Terraform's errors.
    """
    from tests.support import terraform  # real Terraform; skips (fails on CI) without tf-tools

    plan = terraform.plan(variables)
    if plan.returncode != 0 or plan.json is None:
        raise RuntimeError("terraform plan failed:\n" + "\n".join(plan.errors))
    return plan.resource("google_cloudfunctions2_function.this")["change"]["after"]


def function_environment(function: dict, secrets: dict[str, str]) -> dict[str, str]:
    """The planned function's environment_variables, and its secret variables from secrets."""
    service_config = function["service_config"][0]
    environment = dict(service_config["environment_variables"])
    for secret in service_config.get("secret_environment_variables") or []:
        if secret["key"] not in secrets:
            raise LookupError(f"terraform/ mounts secret {secret['key']}; give the test a value")
        environment[secret["key"]] = secrets[secret["key"]]
    return environment


def platform_environment(function: dict, port: int) -> dict[str, str]:
    """What Cloud Run and the buildpack add on every instance of the planned function."""
    name = function["name"]
    return {
        "PORT": str(port),
        "K_SERVICE": name,
        "K_REVISION": f"{name}-00001-tst",
        "K_CONFIGURATION": name,
        "FUNCTION_TARGET": function["build_config"][0]["entry_point"],
        "FUNCTION_SIGNATURE_TYPE": SIGNATURE_TYPE,
        "LOG_EXECUTION_ID": "true",
    }


# ---------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------


class DeployedFunction:
    """The built source served by the runtime venv's functions-framework, on 127.0.0.1."""

    def __init__(
        self,
        source: pathlib.Path,
        venv: pathlib.Path,
        function: dict,
        environment: dict[str, str],
        workdir: pathlib.Path,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            # Nothing from the developer's shell: no VIRTUAL_ENV, PYTHONPATH or credentials.
            "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(workdir),
            **environment,
            **platform_environment(function, self.port),
            # The one difference from Cloud Run (0.0.0.0): functions-framework's own HOST.
            "HOST": "127.0.0.1",
        }
        self.environment = env
        self.process = Process(
            [str(venv / "bin" / "functions-framework")],
            workdir / "stdout.log",
            env=env,
            cwd=source,
            stderr_path=workdir / "stderr.log",
        )

    def start(self, timeout: float = 30) -> DeployedFunction:
        self.process.start()
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: http_answers(self.url + LIVENESS_PATH) or not self.process.alive(),
                timeout,
                "deployed function",
            )
        if not self.process.alive() or not http_answers(self.url + LIVENESS_PATH):
            self.process.stop()
            raise RuntimeError(
                f"the deployed function did not start:\n{self.stdout()}\n{self.stderr()}"
            )
        return self

    def stop(self) -> None:
        self.process.stop()

    def stdout(self) -> str:
        return self.process.output()

    def stderr(self) -> str:
        return self.process.errors()
