"""README's Alertmanager snippets are the ones the e2e tests run, and name the routed receiver."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

from tests.e2e.test_webhook_auth import BASIC_AUTH_SNIPPET, BEARER_SNIPPET, CREDENTIALS_FILE_SNIPPET

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.parametrize("snippet", [BEARER_SNIPPET, BASIC_AUTH_SNIPPET, CREDENTIALS_FILE_SNIPPET])
def test_the_readme_shows_each_tested_receiver_word_for_word(snippet):
    assert snippet in README


def test_the_receivers_the_readme_defines_are_the_ones_its_routes_name():
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", README, flags=re.S)]
    defined = {
        receiver["name"]
        for block in blocks
        if isinstance(block, dict)
        for receiver in block.get("receivers") or []
        if receiver.get("webhook_configs")
    }
    routed = set(
        re.findall(
            r"receiver: (\w+)", "".join(re.findall(r"```yaml\n(.*?)```", README, flags=re.S))
        )
    )

    assert defined == {"alertarchive"}
    assert "alertarchive" in routed
