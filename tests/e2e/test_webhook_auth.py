"""The README's webhook_configs authenticate to the function exactly as written.

The snippets below are the README's, verbatim apart from the <placeholders>; keep them in
step. A wrong token is refused (401, nothing stored) and Alertmanager keeps re-sending until
the config is fixed and reloaded.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from tests.e2e import stack
from tests.e2e.archive import ArchivingFunction, GcsBucket
from tests.e2e.stack import alert
from tests.e2e.versions import Release
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e

TOKEN = "e2e-token-3f9c1a7d52"

# The README's snippets, verbatim; the test fills in URL, TOKEN and the secret file's path.
README_URL = "https://REGION-PROJECT.cloudfunctions.net/alertarchive"
README_TOKEN = "<one of WEBHOOK_TOKENS>"
README_SECRET_FILE = "/etc/alertmanager/secrets/alertarchive-webhook/token"

BEARER_SNIPPET = """\
receivers:
  - name: alertarchive
    webhook_configs:
      - url: https://REGION-PROJECT.cloudfunctions.net/alertarchive
        send_resolved: true
        http_config:
          authorization:
            credentials: <one of WEBHOOK_TOKENS>   # sent as "Authorization: Bearer <token>"
"""

BASIC_AUTH_SNIPPET = """\
receivers:
  - name: alertarchive
    webhook_configs:
      - url: https://REGION-PROJECT.cloudfunctions.net/alertarchive
        send_resolved: true
        http_config:
          basic_auth:
            username: alertmanager                 # any user name; the token is the password
            password: <one of WEBHOOK_TOKENS>
"""

CREDENTIALS_FILE_SNIPPET = """\
receivers:
  - name: alertarchive
    webhook_configs:
      - url: https://REGION-PROJECT.cloudfunctions.net/alertarchive
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            # A Kubernetes Secret mounted as a file (prometheus-operator: Alertmanager
            # spec.secrets: [alertarchive-webhook]).
            credentials_file: /etc/alertmanager/secrets/alertarchive-webhook/token
"""


def webhook_config(snippet: str, url: str, token: str = "", token_file: str = "") -> dict:
    """The snippet's webhook_config with the placeholders filled in, as Alertmanager reads it."""
    text = snippet.replace(README_URL, url).replace(README_TOKEN, token)
    text = text.replace(README_SECRET_FILE, token_file or README_SECRET_FILE)
    (receiver,) = yaml.safe_load(text)["receivers"]
    (config,) = receiver["webhook_configs"]
    return config


def receiver(name: str, config: dict) -> dict:
    return {"name": name, "webhook_configs": [config]}


@dataclasses.dataclass
class AuthStack:
    release: Release
    function: ArchivingFunction
    alertmanager: stack.Alertmanager


@pytest.fixture(scope="module")
def auth_stack(release, workdir, fake_gcs):
    """A function requiring TOKEN, and one Alertmanager `release` with a receiver per README
    snippet."""
    tag = release.short.replace(".", "-")
    function = ArchivingFunction(
        workdir,
        GcsBucket(fake_gcs, f"e2e-auth-{tag}").create(),
        WEBHOOK_TOKENS=f"old-token,{TOKEN}",
    )
    # A Kubernetes Secret mounted as a file; the trailing newline is what `kubectl create
    # secret --from-file` usually keeps, and Alertmanager trims it.
    token_file = workdir / f"alertarchive-webhook-token-{tag}"
    token_file.write_text(TOKEN + "\n")
    receivers = [
        {"name": "unrouted"},
        receiver("bearer", webhook_config(BEARER_SNIPPET, f"{function.url}/bearer", TOKEN)),
        receiver("basic", webhook_config(BASIC_AUTH_SNIPPET, f"{function.url}/basic", TOKEN)),
        receiver(
            "credentials-file",
            webhook_config(
                CREDENTIALS_FILE_SNIPPET,
                f"{function.url}/credentials-file",
                token_file=str(token_file),
            ),
        ),
    ]
    routes = [
        stack.route_by_label("scenario", name, name)
        for name in ("bearer", "basic", "credentials-file")
    ]
    alertmanager = stack.Alertmanager(
        workdir,
        stack.alertmanager_config(receivers, routes),
        name=f"am-auth-{tag}",
        binary=release.binary,
    )
    servers = stack.start_all([function, alertmanager])
    yield AuthStack(release, function, alertmanager)
    stack.stop_all(servers)


@pytest.mark.parametrize("scenario", ["bearer", "basic", "credentials-file"])
def test_readme_http_config_is_accepted_and_archived(auth_stack, scenario):
    labels = {"alertname": "AuthWorks", "scenario": scenario}

    auth_stack.alertmanager.post_alerts([alert(labels)])

    (archived,) = auth_stack.function.wait_for_objects(scenario, 1)
    assert archived.document["alerts"][0]["labels"] == labels
    assert auth_stack.function.outcomes(scenario) == ["stored"]


def test_wrong_token_is_refused_until_the_config_is_fixed_and_reloaded(auth_stack, workdir):
    function = auth_stack.function
    url = f"{function.url}/wrong-token"

    def config(token: str) -> dict:
        webhook = webhook_config(BEARER_SNIPPET, url, token)
        return stack.alertmanager_config([receiver("archive", webhook)])

    alertmanager = stack.Alertmanager(
        workdir,
        config("not-the-token"),
        name=f"am-wrong-token-{auth_stack.release.short}",
        binary=auth_stack.release.binary,
    )
    stack.start_all([alertmanager])
    try:
        alertmanager.post_alerts([alert({"alertname": "TokenRotated"})])

        # Alertmanager does not retry a 4xx within a flush, but sends the notification
        # again at every group_interval (2 s here) for as long as the alert fires.
        wait_until(
            lambda: function.outcomes("wrong-token").count("unauthorized") >= 3,
            15,
            "three refused deliveries",
        )
        assert function.objects("wrong-token") == []
        assert all(entry["status_code"] == 401 for entry in function.requests("wrong-token"))
        refused = alertmanager.webhook_counters()
        assert refused.notifications_sent == 0
        assert refused.requests_succeeded == 0
        assert refused.requests_failed >= 3

        alertmanager.reload(config(TOKEN))

        (archived,) = function.wait_for_objects("wrong-token", 1)
        assert archived.document["alerts"][0]["labels"] == {"alertname": "TokenRotated"}
        assert function.outcomes("wrong-token")[-1] == "stored"
        assert "stored" not in function.outcomes("wrong-token")[:-1]
        wait_until(
            lambda: alertmanager.webhook_counters().notifications_sent == 1,
            5,
            "Alertmanager to count the delivery",
        )
    finally:
        alertmanager.stop()
