"""The README's checked console samples, re-run on a fixed archive and compared (or rewritten).

A ```console block right under a `<!-- console-check -->` line is checked: each `$ COMMAND`
runs in bash (stderr merged into stdout, as a terminal shows both) in a workspace holding
`archive/` (tests.support.archives.Scenario, written by the real receiver at NOW), `.venv`
(this checkout's) and an `alertarchive` whose clock is CLI_NOW, with TZ=UTC, so every time,
hash and size is the same on every run. A line `…` in a sample stands for the output lines
left out there; the line after it must be the next one shown.

    .venv/bin/python -m tests.support.readme_console          # rewrite the samples
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MARKER = "<!-- console-check -->"
ELLIPSIS = "…"
NOW = datetime.datetime(2026, 11, 27, 4, 29, 53, 372053, tzinfo=datetime.UTC)
CLI_NOW = NOW + datetime.timedelta(seconds=2)
_NOW_VARIABLE = "ALERTARCHIVE_README_NOW"


@dataclasses.dataclass
class Block:
    """One checked console block: where it is (0-based line indexes of its body) and its text."""

    start: int
    end: int
    lines: list[str]

    def commands(self) -> list[tuple[str, list[str]]]:
        """Each `$ ` command with the sample lines under it."""
        found: list[tuple[str, list[str]]] = []
        for line in self.lines:
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line)
            elif line.strip():
                raise ValueError(f"README line {self.start + 1}: output before any `$ ` command")
        return found


def blocks(text: str) -> list[Block]:
    """The checked console blocks of a README."""
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        if index + 1 >= len(lines) or lines[index + 1].strip() != "```console":
            raise ValueError(f"README line {index + 1}: {MARKER} must be right above ```console")
        end = lines.index("```", index + 2)
        found.append(Block(index + 2, end, lines[index + 2 : end]))
    return found


def workspace(root: pathlib.Path) -> pathlib.Path:
    """A directory with archive/, .venv and bin/alertarchive (frozen clock) for the samples."""
    from tests.support.archives import build_scenario

    build_scenario(root / "archive", now=NOW)
    (root / ".venv").symlink_to(sys.prefix)  # the venv running this, wherever it is
    shim = root / "bin" / "alertarchive"
    shim.parent.mkdir()
    shim.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from tests.support.readme_console import frozen_main\n"
        "frozen_main()\n"
    )
    shim.chmod(0o755)
    return root


def frozen_main() -> None:
    """The alertarchive command with its clock at $ALERTARCHIVE_README_NOW."""
    from alertarchive.browse import cli

    at = datetime.datetime.fromisoformat(os.environ[_NOW_VARIABLE])
    initialise = cli.App.__init__

    def frozen(self, *args, **kwargs):
        initialise(self, *args, **kwargs)
        self.now = at

    cli.App.__init__ = frozen
    cli.main()


def run(command: str, root: pathlib.Path) -> list[str]:
    """The lines a terminal would show for the command, run in the workspace."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ARCHIVE_URL", "REPLAY_TOKEN", "PYTHONWARNINGS")
    }
    env.update(
        PATH=f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        TZ="UTC",
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",  # stdout and stderr interleaved as on a terminal
        COLUMNS="100",
        **{_NOW_VARIABLE: CLI_NOW.isoformat()},
    )
    result = subprocess.run(
        ["bash", "-c", f"exec 2>&1\n{command}"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    return result.stdout.rstrip("\n").split("\n") if result.stdout else []


def shown(sample: list[str], output: list[str]) -> list[str]:
    """The output as the sample shows it: whole, or the same parts around each `…`.

    Each part after a `…` starts at the output line equal to the part's first line.

    Raises:
        ValueError: a part's first line is no longer in the output (edit the sample by hand).
    """
    trailing_blank = bool(sample) and sample[-1] == ""
    sample = sample[:-1] if trailing_blank else sample
    parts: list[list[str]] = [[]]
    for line in sample:
        if line == ELLIPSIS:
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) == 1:
        result = list(output)
    else:
        result = output[: len(parts[0])]
        position = len(parts[0])
        for part in parts[1:]:
            result.append(ELLIPSIS)
            if not part:
                continue
            try:
                start = output.index(part[0], position)
            except ValueError:
                raise ValueError(f"{part[0]!r} is no longer in the output") from None
            result += output[start : start + len(part)]
            position = start + len(part)
    return [*result, ""] if trailing_blank else result


def regenerated(text: str, root: pathlib.Path) -> str:
    """The README with every checked block's outputs as the commands print them now."""
    lines = text.split("\n")
    for block in reversed(blocks(text)):
        body = []
        for command, sample in block.commands():
            body.append(f"$ {command}")
            body += shown(sample, run(command, root))
        lines[block.start : block.end] = body
    return "\n".join(lines)


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        text = README.read_text(encoding="utf-8")
        new = regenerated(text, workspace(pathlib.Path(directory)))
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: console samples rewritten")
    else:
        print("README.md: console samples are current")


if __name__ == "__main__":
    main()
