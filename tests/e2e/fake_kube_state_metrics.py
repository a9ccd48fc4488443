"""A tiny stand-in for kube-state-metrics: serves `kube_job_failed` for the Jobs it is told about.

Shaped like the real exporter's series (`kube_job_failed{namespace,job_name,condition="true"}`,
1 while the Job has failed, else 0), so the CronJob-failure rule in examples/ evaluates against
it unchanged. Only the condition="true" series is served, the one the rule selects (the real
exporter's condition="false" series is 1 for a Job that has not failed). Used by the
end-to-end tests and by `make demo` (scripts/demo.py), in-process:

    exporter = FakeKubeStateMetrics().start()
    exporter.set_job_failed("batch", "nightly-backup-29012345", failed=True)

or, while it runs, over HTTP (handy in the demo):

    curl -X POST 'http://127.0.0.1:PORT/jobs/batch/nightly-backup-29012345?failed=true'
"""

from __future__ import annotations

import http.server
import threading
import urllib.parse

_HEADER = "# HELP kube_job_failed The job has failed its execution.\n# TYPE kube_job_failed gauge\n"


class FakeKubeStateMetrics:
    """A ThreadingHTTPServer on 127.0.0.1 serving `/metrics`; Job states flip at run time."""

    def __init__(self, port: int = 0) -> None:
        self._failed: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-kube-state-metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def target(self) -> str:
        """The `host:port` Prometheus scrapes."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> FakeKubeStateMetrics:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set_job_failed(self, namespace: str, job_name: str, failed: bool) -> None:
        """Make a Job report (or stop reporting) the Failed condition."""
        with self._lock:
            self._failed[(namespace, job_name)] = failed

    def exposition(self) -> str:
        """The current samples in the Prometheus text format."""
        lines = [_HEADER]
        with self._lock:
            jobs = sorted(self._failed.items())
        for (namespace, job_name), failed in jobs:
            lines.append(
                f'kube_job_failed{{namespace="{_escape(namespace)}",'
                f'job_name="{_escape(job_name)}",condition="true"}} {1 if failed else 0}\n'
            )
        return "".join(lines)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _handler(exporter: FakeKubeStateMetrics) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urllib.parse.urlsplit(self.path).path != "/metrics":
                self._answer(404, "try /metrics\n")
                return
            self._answer(200, exporter.exposition(), "text/plain; version=0.0.4; charset=utf-8")

        def do_POST(self) -> None:
            # POST /jobs/<namespace>/<job_name>?failed=true|false
            url = urllib.parse.urlsplit(self.path)
            parts = [urllib.parse.unquote(part) for part in url.path.strip("/").split("/")]
            failed = urllib.parse.parse_qs(url.query).get("failed", [""])[0]
            if len(parts) != 3 or parts[0] != "jobs" or failed not in ("true", "false"):
                self._answer(400, "POST /jobs/<namespace>/<job_name>?failed=true|false\n")
                return
            exporter.set_job_failed(parts[1], parts[2], failed=failed == "true")
            self._answer(204, "")

        def _answer(self, status: int, text: str, content_type: str = "text/plain") -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Silent: Prometheus scrapes every second."""

    return Handler
