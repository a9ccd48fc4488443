"""The package as `pip install` gives it: a wheel built from the sources, in fresh venvs.

Each venv holds the wheel and what its metadata declares, nothing from this checkout: the CLI
venv the base dependencies, the receiver venv the `[receiver]` extra too. Both are kept
under .venv-wheel/ (ignored by git and left out of the deployed zip), keyed by a hash of the
package sources, so they are rebuilt only when the package changes; pip's downloads are
cached beside them.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import sys
import tempfile

from tests.support import venvs
from tests.support.processes import REPO

CACHE = REPO / ".venv-wheel"
# What goes into the wheel: the project metadata (README.md is its long description) and
# the package.
SOURCES = ("pyproject.toml", "README.md", "alertarchive")


def source_files() -> list[pathlib.Path]:
    """The files the wheel is built from, without bytecode."""
    files = []
    for name in SOURCES:
        path = REPO / name
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [p for p in found if "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return files


def sources_key() -> str:
    """A hash of the package sources and the interpreter the venvs are made with."""
    digest = hashlib.sha256(str(pathlib.Path(sys.executable).resolve()).encode())
    for path in source_files():
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def installed_venv(extra: str | None = None) -> pathlib.Path:
    """A fresh venv holding the package's wheel (with `extra`, if given), built once per key.

    Venvs of other keys (older sources) are removed while the lock is held.
    """
    kind = extra or "cli"
    key = sources_key()

    def wheel_requirement() -> list[str]:
        wheel = _build_wheel(key)
        return [f"{wheel}[{extra}]" if extra else str(wheel)]

    return venvs.cached_venv(
        CACHE, f"{kind}-{key}", pathlib.Path(sys.executable), wheel_requirement, f"{kind}-*"
    )


def _build_wheel(key: str) -> pathlib.Path:
    """The wheel of a copy of the sources (so the build leaves nothing in the checkout)."""
    wheels = CACHE / f"wheel-{key}"
    built = sorted(wheels.glob("alertarchive-*.whl"))
    if built:
        return built[0]
    for stale in CACHE.glob("wheel-*"):
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="alertarchive-sources-") as copy:
        for path in source_files():
            target = pathlib.Path(copy) / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        venvs.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--disable-pip-version-check",
                "--cache-dir",
                str(CACHE / "pip-cache"),
                "--wheel-dir",
                str(wheels),
                copy,
            ]
        )
    [wheel] = wheels.glob("alertarchive-*.whl")
    return wheel
