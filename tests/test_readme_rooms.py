"""README's Development table names every module of the package, in its room."""

from __future__ import annotations

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_the_development_table_names_every_module():
    readme = ROOT / "README.md"
    text = readme.read_text()
    development = text[text.index("## Development") :]
    modules = sorted(
        path.name
        for path in (ROOT / "alertarchive").glob("*/*.py")
        if path.name != "__init__.py" and path.parent.name != "schemas"
    )

    missing = [name for name in modules if f"`{name}`" not in development]

    assert not missing, f"add these to README.md's Development table: {missing}"
