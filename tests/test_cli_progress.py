"""Progress for slow work is drawn on stderr for a person at a terminal, never into pipes."""

import io

from alertarchive.browse.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_drawn_on_a_terminal_and_cleared_at_the_end():
    stream = Terminal()
    progress = Progress(stream, show_after_seconds=0)

    progress.start("reading bodies", 2)
    progress.advance()
    progress.advance()
    progress.finish()

    assert "\rreading bodies 2/2" in stream.getvalue().replace("\x1b[K", "")
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_is_silent_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, show_after_seconds=0)

    progress.start("reading bodies", 1)
    progress.advance()
    progress.finish()

    assert stream.getvalue() == ""


def test_quick_work_draws_nothing_even_on_a_terminal():
    stream = Terminal()
    progress = Progress(stream)

    progress.start("reading bodies", 1)
    progress.advance()
    progress.finish()

    assert stream.getvalue() == ""
