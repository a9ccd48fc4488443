"""Filter decisions: what the stored metadata settles, and what only the body can."""

import datetime

import pytest

from alertarchive.archive.record import CUT_MARK, MAX_VALUE_BYTES
from alertarchive.browse.catalog import BadFilter, Entry, Filters, parse_label

# A metadata value the receiver cut to its size bound.
CUT = "x" * (MAX_VALUE_BYTES - len(CUT_MARK.encode())) + CUT_MARK


def entry(**fields) -> Entry:
    values = {
        "name": "alerts/dt=2026-11-27/hour=04/source=default/firing-A-" + "0" * 64 + ".json",
        "size": 100,
        "received_at": datetime.datetime(2026, 11, 27, 4, tzinfo=datetime.UTC),
        "status": "firing",
        "receiver": "team-a",
        "alertnames_text": "HighLatency",
        "alert_count": 1,
        "source": "default",
        "sha256": "0" * 64,
        "user_agent": "Alertmanager/0.25.0",
        "group_key": "{}:{}",
        "quarantined": False,
        "validation_errors": (),
    }
    return Entry(**{**values, **fields})


def body(receiver="team-a", *alerts_labels):
    return {
        "receiver": receiver,
        "status": "firing",
        "alerts": [{"labels": labels} for labels in alerts_labels],
    }


@pytest.mark.parametrize(
    ("filters", "fields", "decision"),
    [
        (Filters(), {}, True),
        (Filters(statuses=("firing",)), {}, True),
        (Filters(statuses=("resolved",)), {}, False),
        (Filters(statuses=("firing", "resolved")), {"status": "resolved"}, True),
        (Filters(sources=("eu",)), {}, False),
        (Filters(sources=("eu", "default")), {}, True),
        (Filters(receivers=("team-a",)), {}, True),
        # Alertmanager sends the receiver regex-quoted; the name as configured matches it.
        (Filters(receivers=("team.db",)), {"receiver": r"team\.db"}, True),
        (Filters(receivers=(r"team\.db",)), {"receiver": r"team\.db"}, True),
        (Filters(receivers=("team-b",)), {}, False),
        # Metadata cut to its size bound cannot rule a receiver out: the body decides.
        (Filters(receivers=("team-b",)), {"receiver": CUT}, None),
        # A short value that happens to end in … was not cut.
        (Filters(receivers=("team-b",)), {"receiver": "team-" + CUT_MARK}, False),
        (Filters(alertnames=("HighLatency",)), {}, True),
        (Filters(alertnames=("DiskFull", "HighLatency")), {}, True),
        (Filters(alertnames=("DiskFull",)), {}, False),
        (Filters(alertnames=("DiskFull",)), {"alertnames_text": CUT}, None),
        # Names are comma-joined: a name holding a comma could be split wrongly, so a name
        # found in the text is confirmed from the body, and one absent from it is ruled out.
        (Filters(alertnames=("DiskFull",)), {"alertnames_text": "DiskFull,HighLatency"}, None),
        (Filters(alertnames=("Gone",)), {"alertnames_text": "DiskFull,HighLatency"}, False),
        # Labels are only in the body; metadata can still rule an entry out first.
        (Filters(labels=(("severity", "critical"),)), {}, None),
        (Filters(labels=(("severity", "critical"),), statuses=("resolved",)), {}, False),
    ],
)
def test_metadata_decides_what_it_can_and_leaves_the_rest_to_the_body(filters, fields, decision):
    assert filters.decide(entry(**fields)) is decision


@pytest.mark.parametrize(
    ("filters", "document", "kept"),
    [
        (
            Filters(labels=(("severity", "critical"),)),
            body("team-a", {"severity": "critical"}),
            True,
        ),
        # One alert carrying every label is needed; two alerts with one each are not a match.
        (
            Filters(labels=(("severity", "critical"), ("team", "db"))),
            body("team-a", {"severity": "critical"}, {"team": "db"}),
            False,
        ),
        (
            Filters(labels=(("severity", "critical"), ("team", "db"))),
            body("team-a", {"severity": "warning"}, {"severity": "critical", "team": "db"}),
            True,
        ),
        (Filters(labels=(("severity", ""),)), body("team-a", {"severity": ""}), True),
        (Filters(labels=(("severity", ""),)), body("team-a", {}), False),
        (Filters(receivers=("team.db",)), body(r"team\.db"), True),
        (Filters(receivers=("team-b",)), body("team-a"), False),
        (Filters(alertnames=("A,B",)), body("team-a", {"alertname": "A,B"}), True),
        (Filters(alertnames=("A",)), body("team-a", {"alertname": "A,B"}), False),
        # A body that is not a JSON object has no receiver, names or labels to match.
        (Filters(alertnames=("A",)), None, False),
        (Filters(labels=(("severity", "critical"),)), None, False),
        (Filters(statuses=("firing",)), None, True),
    ],
)
def test_the_body_settles_what_metadata_could_not(filters, document, kept):
    assert filters.matches_body(document) is kept


@pytest.mark.parametrize(
    ("text", "label"),
    [("severity=critical", ("severity", "critical")), ("k=", ("k", "")), ("k=a=b", ("k", "a=b"))],
)
def test_a_label_filter_splits_at_the_first_equals_sign(text, label):
    assert parse_label(text) == label
    assert Filters.build(labels=[text]).labels == (label,)


@pytest.mark.parametrize("text", ["severity", "=critical", ""])
def test_a_label_filter_without_a_key_and_equals_sign_is_refused_with_an_example(text):
    with pytest.raises(BadFilter) as refused:
        parse_label(text)

    assert str(refused.value) == f"{text!r} is not key=value (e.g. --label severity=critical)"
