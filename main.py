"""Cloud Functions entry point: read the configuration, hand each request to the receiver."""

import os

import functions_framework

from alertarchive.config import ConfigError, Settings
from alertarchive.receive import Receiver

try:
    _settings = Settings.from_environ(os.environ)
except ConfigError as error:
    raise SystemExit(f"alertarchive cannot start: {error}") from None

_receiver = Receiver.from_settings(_settings)


@functions_framework.http
def receive_alert(request):
    """Archive one Alertmanager webhook notification (see alertarchive/receive.py)."""
    return _receiver.handle(request)
