"""The one base for every error the `alertarchive` command shows as a line instead of a traceback.

A UserError is something the person at the terminal can act on: a value that does not parse,
a name that matches nothing or several objects, an archive that cannot be reached. Anything
else that escapes a command is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; its message says how."""


class NoSuchObject(UserError):
    """A name that points to no object (or an archive or bucket that does not exist)."""


class ArchiveUnavailable(UserError):
    """The archive could not be reached or read (no credentials, timeout, no permission)."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message, for one-line reports; an OSError's reason alone."""
    if isinstance(error, OSError) and error.strerror:
        # The caller names the file or object; the reason is what it cannot know.
        return error.strerror
    return first_line_of(str(error)) or type(error).__name__


def first_line_of(text: str) -> str:
    """The first non-blank line of a text, stripped; empty for a blank text."""
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""
