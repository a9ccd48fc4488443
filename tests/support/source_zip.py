"""What Terraform's archive_file puts in the deployed zip, replayed over a directory.

The excludes come from a real plan (the data source's values as Terraform evaluated them), so
the replay and the configuration cannot drift apart.
"""

from __future__ import annotations

import fnmatch
import os
import pathlib

SOURCE = "data.archive_file.source"


def planned_excludes(plan_json: dict) -> list[str]:
    """archive_file.source's excludes as the plan read them."""
    for resource in plan_json["prior_state"]["values"]["root_module"]["resources"]:
        if resource["address"] == SOURCE:
            return list(resource["values"]["excludes"])
    raise KeyError(f"{SOURCE} is not in the plan")


def glob_match(pattern: str, path: str) -> bool:
    """doublestar.PathMatch, which archive_file uses: `**` spans directories, `*` does not."""
    return _match_parts(pattern.split("/"), path.split("/"))


def _match_parts(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    if pattern[0] == "**":
        return any(_match_parts(pattern[1:], path[i:]) for i in range(len(path) + 1))
    return (
        bool(path)
        and fnmatch.fnmatchcase(path[0], pattern[0])
        and _match_parts(pattern[1:], path[1:])
    )


def zipped_files(root: pathlib.Path, excludes: list[str]) -> list[str]:
    """Replay archive_file's walk: a matching directory is pruned, a matching file skipped."""
    files = []
    for directory, subdirs, names in os.walk(root, followlinks=True):
        relative = pathlib.Path(directory).relative_to(root)
        subdirs[:] = [
            d
            for d in subdirs
            if not any(glob_match(p, (relative / d).as_posix()) for p in excludes)
        ]
        for name in names:
            path = (relative / name).as_posix()
            if not any(glob_match(pattern, path) for pattern in excludes):
                files.append(path)
    return sorted(files)
