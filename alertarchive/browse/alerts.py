"""The alerts in a parsed notification body, typed once, for every reader in browse/.

A body the schema refused (quarantined) can hold anything where an alert, its labels or its
annotations should be: what is not an object is skipped, what is not text becomes text. Every
reader (filters, episodes, export, `show`) walks bodies through here, so they agree on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class Alert:
    """One alert of a notification, its fields as text (empty when absent)."""

    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: str
    ends_at: str
    fingerprint: str
    generator_url: str

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


def alerts(document: Mapping[str, Any] | None) -> list[Alert]:
    """The alerts of a parsed body; none for a body that is not a JSON object."""
    listed = document.get("alerts") if document is not None else None
    if not isinstance(listed, list):
        return []
    return [_alert(alert) for alert in listed if isinstance(alert, dict)]


def _alert(alert: Mapping[str, Any]) -> Alert:
    return Alert(
        status=_text(alert.get("status")),
        labels=_texts(alert.get("labels")),
        annotations=_texts(alert.get("annotations")),
        starts_at=_text(alert.get("startsAt")),
        ends_at=_text(alert.get("endsAt")),
        fingerprint=_text(alert.get("fingerprint")),
        generator_url=_text(alert.get("generatorURL")),
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    if all(type(item) is str for item in value.values()):
        return value  # JSON keys are text already: a valid body's labels are used as they are
    return {str(key): _text(item) for key, item in value.items()}
