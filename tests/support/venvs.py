"""Virtual environments the tests build once and reuse: the deployed shape's and the wheel's."""

from __future__ import annotations

import fcntl
import pathlib
import shutil
import subprocess
from collections.abc import Callable, Sequence


def run(argv: Sequence[str], cwd: pathlib.Path | None = None) -> None:
    """Run a build step; its stderr is the error when it fails."""
    result = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")


def cached_venv(
    cache: pathlib.Path,
    name: str,
    python: pathlib.Path,
    requirements: Callable[[], Sequence[str]],
    stale: str | None = None,
) -> pathlib.Path:
    """cache/name: a venv of `python` holding `pip install *requirements()`, built once.

    One builder at a time (parallel pytest runs share the cache); a venv is used only once
    its build finished, and one interrupted half-way is built again. `stale` globs the
    venvs of older keys, removed while the lock is held. pip's downloads are cached beside.
    """
    venv = cache / name
    complete = venv / ".complete"
    cache.mkdir(exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if complete.exists():
            return venv
        for old in cache.glob(stale) if stale else ():
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(venv, ignore_errors=True)
        run([str(python), "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        run([*pip, "--disable-pip-version-check", "--cache-dir", str(cache / "pip-cache"),
             *requirements()])  # fmt: skip
        complete.write_text(name)
    return venv
