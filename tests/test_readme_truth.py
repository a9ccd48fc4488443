"""What the READMEs say is what the code does: auth schemes, the DuckDB query, console samples."""

import base64
import pathlib
import re

import pytest

from alertarchive.receiver.auth import TokenSet

REPO = pathlib.Path(__file__).resolve().parents[1]
README = REPO / "README.md"
TERRAFORM_README = REPO / "terraform" / "README.md"


def _sentence_about_what_requests_must_carry(text: str) -> str:
    flat = " ".join(text.split())
    match = re.search(r"every request must carry[^;]*;", flat)
    assert match, "the terraform README no longer says what a request must carry"
    return match.group(0)


@pytest.mark.parametrize(
    "scheme,header",
    [
        ("Bearer", "Bearer s3cret"),
        ("Basic", "Basic " + base64.b64encode(b"alertmanager:s3cret").decode()),
    ],
)
def test_terraform_readme_names_every_scheme_the_receiver_accepts(scheme, header):
    assert TokenSet(("s3cret",)).accepts(header)  # what the code does
    assert scheme in _sentence_about_what_requests_must_carry(TERRAFORM_README.read_text())
