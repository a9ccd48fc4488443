"""`make`'s dev install (`pip install -e .`) is quiet: no setuptools warning on a first install."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.support.wheel import REPO, SOURCES

pytestmark = pytest.mark.slow


def test_an_editable_install_prints_no_build_backend_warning(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    # As the Makefile does first: a recent pip shows the build backend's warnings (23.x did not).
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"],
        check=True,
        capture_output=True,
        env=env,
        timeout=600,
    )

    # As the Makefile installs (-q), without the dependencies (not what this is about).
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(project)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )

    assert installed.returncode == 0, installed.stderr
    output = installed.stdout + installed.stderr
    assert "BuildBackendWarning" not in output, output
    assert "Editable install" not in output, output
    assert "SetuptoolsDeprecationWarning" not in output, output
    imported = subprocess.run(
        [str(python), "-c", "import alertarchive.schemas as s; print(s.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert imported.stdout.strip() == str(project / "alertarchive" / "schemas" / "__init__.py")
