"""Archived text printed safely: the fast one-line writer says exactly what dumps() says."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alertarchive.archive import safetext

# Text as hostile as a label can be: controls, C1, bidi, separators, lone surrogates, astral.
hostile_text = st.text(
    alphabet=st.characters(codec=None, categories=None, exclude_categories=()), max_size=20
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)


@given(values)
def test_dumps_line_is_dumps_for_every_value_without_number_texts(value):
    assert safetext.dumps_line(value) == safetext.dumps(value)


@pytest.mark.parametrize("text", ["\x1b]52;c;AAAA\x07", "\u202eevil", "\x9b31m", "\ud800", "ok"])
def test_dumps_line_escapes_what_a_terminal_would_obey(text):
    line = safetext.dumps_line({"label": text})

    assert line.isprintable()
    assert line == safetext.dumps({"label": text})


def test_dumps_line_refuses_what_json_cannot_say():
    with pytest.raises(ValueError):
        safetext.dumps_line({"x": math.nan})
