"""The package's rooms and the one direction imports go: main.py → receiver → archive ← browse.

archive/ is the format both sides share and imports nothing above it; receiver/ is what is
deployed and never loads the CLI; browse/ is the alertarchive command and never loads the
receiver. Every import statement counts, including those inside functions.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "alertarchive"
ROOMS = ("archive", "receiver", "browse", "schemas")
# What each room may import from the package, besides itself.
ALLOWED = {
    "archive": {"archive"},
    "receiver": {"archive", "receiver"},
    "browse": {"archive", "browse"},
    "schemas": set(),
}


def _package_imports(path: pathlib.Path) -> set[str]:
    """The alertarchive modules a file imports, as dotted names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("alertarchive")}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports, as the rest of the package does"
            if node.module and node.module.startswith("alertarchive"):
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _room(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else None


def _modules(room: str) -> list[pathlib.Path]:
    return sorted((PACKAGE / room).rglob("*.py"))


def test_every_module_lives_in_a_room():
    loose = sorted(
        p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")
    )

    assert not loose, f"put these in archive/, receiver/ or browse/: {loose}"


@pytest.mark.parametrize("room", ROOMS)
def test_room_imports_only_what_it_may(room):
    crossings = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(room)
        for name in _package_imports(path)
        if name != "alertarchive.__version__" and _room(name) not in ALLOWED[room] | {room}
    }

    assert not crossings, sorted(crossings)


def test_main_py_reaches_the_package_through_the_receiver_only():
    rooms = {_room(name) for name in _package_imports(ROOT / "main.py")}

    assert rooms == {"receiver"}


def test_the_package_root_loads_no_room():
    imports = _package_imports(PACKAGE / "__init__.py") | _package_imports(PACKAGE / "__main__.py")

    assert {_room(name) for name in imports} <= {"browse"}


def test_schema_folder_is_the_packages_schemas_one_source_of_truth():
    top_level = ROOT / "schema"

    assert top_level.is_symlink()
    assert top_level.resolve() == (PACKAGE / "schemas").resolve()
    assert sorted(p.name for p in (PACKAGE / "schemas").glob("*.json"))


def test_a_layer_crossing_is_caught(tmp_path):
    crossing = tmp_path / "crossing.py"
    crossing.write_text("def f():\n    from alertarchive.browse import cli\n")

    assert {_room(name) for name in _package_imports(crossing)} == {"browse"}


@pytest.mark.slow
def test_the_package_type_checks(tmp_path):
    # make lint runs the same; here so that CI (make test) keeps the types honest too.
    mypy = pathlib.Path(sys.executable).parent / "mypy"
    if not mypy.exists():
        pytest.skip("mypy is not installed in this venv (requirements-dev.txt)")
    checked = subprocess.run(
        [str(mypy), "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
