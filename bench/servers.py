"""The servers under test, started as Cloud Functions starts them, pinned to one core.

Both the receiver and the hello-world baseline run under functions-framework's default
server (gunicorn, 1 worker, gthread with THREADS threads), on 127.0.0.1, stopped by PID.
"""

from __future__ import annotations

import http.client
import os
import pathlib
import subprocess
import time

from alertarchive.receiver import config
from tests.support.processes import REPO, FakeGcs, Process, free_port

# Two cores: the server under test gets one, the load generator (and fake-gcs-server, which
# stands in for a remote service) the other, so they do not steal each other's time slices.
SERVER_CPU = "0"
CLIENT_CPU = "1"
PINNING = {"enabled": True}
TOKEN = "bench-token-5b0c3e9a"
HELLO_SOURCE = REPO / "bench" / "hello" / "main.py"
BREAKDOWN_SOURCE = REPO / "bench" / "breakdown" / "main.py"
MALLOC_ARENA_MAX = "2"
_RECEIVER_VARIABLES = (
    *config.VARIABLES,
    "STORAGE_EMULATOR_HOST",
    "THREADS",
    "WORKERS",
    "BENCH_WITHOUT",
)


def pinned(cpu: str) -> list[str]:
    """The taskset prefix that keeps a command on one core (nothing with --no-pin)."""
    return ["taskset", "-c", cpu] if PINNING["enabled"] else []


def functions_framework_binary() -> pathlib.Path:
    return (
        pathlib.Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "functions-framework"
    )


class FunctionServer:
    """One functions-framework process (gunicorn master + worker) serving one target."""

    def __init__(
        self,
        label: str,
        source: pathlib.Path,
        target: str,
        env: dict[str, str],
        workdir: pathlib.Path,
        threads: int,
    ) -> None:
        self.label = label
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if k not in _RECEIVER_VARIABLES}
        # Both servers get the deployment's glibc setting (terraform/main.tf, Makefile): with
        # one malloc arena per thread, RSS grows with THREADS for no throughput.
        full_env.update(env, THREADS=str(threads), MALLOC_ARENA_MAX=MALLOC_ARENA_MAX)
        self.process = Process(
            [
                *pinned(SERVER_CPU),
                str(functions_framework_binary()),
                "--source",
                str(source),
                "--target",
                target,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            workdir / f"{label}-{self.port}.log",
            env=full_env,
        )
        self.started_at = 0.0

    def start(self) -> FunctionServer:
        self.started_at = time.perf_counter()
        self.process.start()
        return self

    def first_answer(self, body: bytes, accept: tuple[int, ...], timeout: float = 30) -> float:
        """Seconds from Popen to the first answer with a status in `accept` to POST body."""
        deadline = self.started_at + timeout
        while time.perf_counter() < deadline:
            try:
                status = post(self.port, body)
            except (ConnectionError, OSError):
                if not self.process.alive():
                    raise RuntimeError(f"{self.label} exited:\n{self.process.output()}") from None
                time.sleep(0.005)
                continue
            if status in accept:
                return time.perf_counter() - self.started_at
            raise RuntimeError(f"{self.label} answered {status}:\n{self.process.output()[-2000:]}")
        raise TimeoutError(f"{self.label} did not answer within {timeout} s")

    def pids(self) -> list[int]:
        """The gunicorn master (taskset execs it, so it keeps the PID) and its workers."""
        master = self.process.pid
        children = pathlib.Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [master, *map(int, children)]

    def memory(self) -> dict[str, float]:
        """PSS and RSS (MiB) of master + workers now, and the peak RSS of each (VmHWM)."""
        total = {"pss_mib": 0.0, "rss_mib": 0.0, "peak_rss_mib": 0.0, "worker_peak_rss_mib": 0.0}
        for index, pid in enumerate(self.pids()):
            rollup = _fields(pathlib.Path(f"/proc/{pid}/smaps_rollup"))
            status = _fields(pathlib.Path(f"/proc/{pid}/status"))
            total["pss_mib"] += rollup["Pss"] / 1024
            total["rss_mib"] += rollup["Rss"] / 1024
            total["peak_rss_mib"] += status["VmHWM"] / 1024
            if index > 0:
                total["worker_peak_rss_mib"] += status["VmHWM"] / 1024
        return {key: round(value, 1) for key, value in total.items()}

    def stop(self) -> None:
        self.process.stop()


def _fields(path: pathlib.Path) -> dict[str, int]:
    """`Name:   123 kB` lines as {name: kB}."""
    fields = {}
    for line in path.read_text().splitlines():
        name, _, rest = line.partition(":")
        value = rest.split()
        if len(value) == 2 and value[1] == "kB":
            fields[name] = int(value[0])
    return fields


def post(port: int, body: bytes, token: str = TOKEN) -> int:
    """POST a notification as Alertmanager does; the status code."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/",
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Alertmanager/0.28.1",
                "Authorization": f"Bearer {token}",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def hello(workdir: pathlib.Path, threads: int) -> FunctionServer:
    return FunctionServer("hello", HELLO_SOURCE, "hello", {}, workdir, threads)


def receiver(
    label: str, workdir: pathlib.Path, threads: int, archive_url: str, emulator: str | None = None
) -> FunctionServer:
    env = {"ARCHIVE_URL": archive_url, "WEBHOOK_TOKENS": TOKEN}
    if emulator:
        env["STORAGE_EMULATOR_HOST"] = emulator
    return FunctionServer(label, REPO / "main.py", "receive_alert", env, workdir, threads)


def receiver_without(
    without: str, workdir: pathlib.Path, threads: int, archive_url: str
) -> FunctionServer:
    """The receiver with its fsyncs (`fsync`) or its whole write (`storage`) taken away."""
    env = {"ARCHIVE_URL": archive_url, "WEBHOOK_TOKENS": TOKEN, "BENCH_WITHOUT": without}
    return FunctionServer(
        f"without-{without}", BREAKDOWN_SOURCE, "receive_alert", env, workdir, threads
    )


def fake_gcs(workdir: pathlib.Path) -> FakeGcs:
    """fake-gcs-server in memory, moved to the client core with all its threads."""
    server = FakeGcs(workdir).start()
    if PINNING["enabled"]:
        subprocess.run(
            ["taskset", "-a", "-p", "-c", CLIENT_CPU, str(server.process.pid)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return server
