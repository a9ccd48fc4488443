"""The Inputs and Outputs tables of terraform/README.md, rendered from the .tf files.

`python -m tests.support.terraform_docs` rewrites the tables in place;
tests/test_terraform.py fails while they disagree with variables.tf or outputs.tf.
"""

from __future__ import annotations

import json
import pathlib
import re

import hcl2

TERRAFORM = pathlib.Path(__file__).resolve().parents[2] / "terraform"
README = TERRAFORM / "README.md"


def _blocks(file_name: str, kind: str) -> list[tuple[str, dict]]:
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    parsed = hcl2.loads((TERRAFORM / file_name).read_text(), serialization_options=options)
    return [next(iter(item.items())) for item in parsed[kind]]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default(value: object) -> str:
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, int | float):
        return f"`{value}`"
    return "`" + json.dumps(value).replace(", ", ",") + "`"


def inputs_table() -> str:
    """The Inputs table, one row per variable in declaration order."""
    rows = ["| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, spec in _blocks("variables.tf", "variable"):
        type_expression = re.sub(r"^\$\{(.*)\}$", r"\1", spec["type"])
        required = "default" not in spec
        default = "n/a" if required else _default(spec["default"])
        rows.append(
            f"| {name} | {_cell(spec['description'])} | `{type_expression}` | {default} "
            f"| {'yes' if required else 'no'} |"
        )
    return "\n".join(rows) + "\n"


def outputs_table() -> str:
    """The Outputs table, one row per output in declaration order."""
    rows = ["| Name | Description | Sensitive |", "|---|---|:---:|"]
    for name, spec in _blocks("outputs.tf", "output"):
        sensitive = "yes" if spec.get("sensitive") else "no"
        rows.append(f"| {name} | {_cell(spec['description'])} | {sensitive} |")
    return "\n".join(rows) + "\n"


def table_under(heading: str, text: str) -> str:
    """The Markdown table that follows `## heading` in text."""
    match = re.search(rf"## {heading}\n\n(\|.*?\n)(?=[^|]|\Z)", text, flags=re.S)
    return match[1] if match else ""


def render(text: str) -> str:
    """text with both tables replaced by the ones the .tf files give."""
    for heading, table in (("Inputs", inputs_table()), ("Outputs", outputs_table())):
        text = text.replace(table_under(heading, text), table, 1)
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text()))
