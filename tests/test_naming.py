"""Object names: where every notification lands, and why a retry lands on the same name."""

from __future__ import annotations

import datetime
import re

import pytest

from alertarchive.archive import layout

RECEIVED = datetime.datetime(2026, 11, 27, 4, 5, 6, 789000, tzinfo=datetime.UTC)
SHA = "ab" * 32
NAME_PATTERN = re.compile(
    r"(alerts|quarantine)/dt=\d{4}-\d{2}-\d{2}/hour=\d{2}/source=[A-Za-z0-9][A-Za-z0-9_.-]{0,62}/"
    r"(firing|resolved|unknown)-[A-Za-z0-9_-]{1,60}-[0-9a-f]{64}\.(json|bin)"
)


def name(
    title: str = "KubeJobFailed",
    status: str = "firing",
    source: str = "default",
    received_at: datetime.datetime = RECEIVED,
    kind: str = layout.ARCHIVED,
    sha: str = SHA,
) -> str:
    return layout.object_name(kind, received_at, source, sha, status, title)


def test_name_is_partitioned_by_receipt_hour_and_source_hive_style():
    assert name() == (
        f"alerts/dt=2026-11-27/hour=04/source=default/firing-KubeJobFailed-{SHA}.json"
    )


def test_partition_uses_utc_whatever_the_receipt_timezone():
    tokyo = RECEIVED.astimezone(datetime.timezone(datetime.timedelta(hours=9)))

    assert name(received_at=tokyo) == name()


def test_same_body_later_in_the_same_hour_gets_the_same_name():
    later = RECEIVED + datetime.timedelta(minutes=50)

    assert name(received_at=later) == name()


def test_next_hour_is_a_new_partition():
    assert "/hour=05/" in name(received_at=RECEIVED + datetime.timedelta(hours=1))


def test_day_boundary_moves_date_and_hour():
    just_after_midnight = datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)

    assert "dt=2026-12-31/hour=23/" in name(received_at=just_after_midnight)
    assert "dt=2027-01-01/hour=00/" in name(
        received_at=just_after_midnight + datetime.timedelta(seconds=1)
    )


def test_different_bodies_never_share_a_name_even_when_titles_fold_together():
    assert name(title="a/b", sha="1" * 64) != name(title="a_b", sha="2" * 64)


def test_quarantine_lives_under_its_own_prefix():
    assert name(kind=layout.QUARANTINED).startswith("quarantine/dt=2026-11-27/hour=04/")


@pytest.mark.parametrize(
    "status,shown",
    [
        ("firing", "firing"),
        ("resolved", "resolved"),
        ("", "unknown"),
        ("../../x", "unknown"),
        ("FIRING", "unknown"),
    ],
)
def test_status_part_is_one_of_three_words(status, shown):
    assert name(status=status).rsplit("/", 1)[1].startswith(f"{shown}-")


@pytest.mark.parametrize(
    "title,readable",
    [
        ("KubeJobFailed", "KubeJobFailed"),
        ("KubeJobFailed+2", "KubeJobFailed_2"),
        ("Crème brûlée", "Creme_brulee"),
        ("../../etc/passwd", "etc_passwd"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("a\x00b\nc\rd", "a_b_c_d"),
        ("🔥🔥", "unnamed"),
        ("ディスク", "unnamed"),
        ("x" * 5000, "x" * 60),
        ("with space/and\\slash", "with_space_and_slash"),
    ],
)
def test_title_is_folded_to_a_safe_bounded_fragment(title, readable):
    assert layout.readable_title(title) == readable


@pytest.mark.parametrize(
    "title",
    [
        "../" * 400,
        "/" * 1000,
        "\x00" * 10,
        "é" * 2000,
        "a" * 100_000,
        "%2e%2e%2f",
        "C:\\Windows",
        "\u2028\u2029",
    ],
)
def test_hostile_titles_never_escape_the_partition_or_exceed_gcs_limits(title):
    object_name = name(title=title)

    assert NAME_PATTERN.fullmatch(object_name)
    assert len(object_name.encode()) <= layout.MAX_NAME_BYTES < 1024
    assert ".." not in object_name.split("/")
    assert object_name.count("/") == 4


def test_longest_name_leaves_room_for_a_long_bucket_prefix():
    longest = layout.object_name(
        layout.QUARANTINED, RECEIVED, "s" * 63, SHA, "resolved", "t" * 500, extension="json"
    )

    assert len(longest.encode()) == layout.MAX_NAME_BYTES
    assert layout.MAX_NAME_BYTES + 700 < 1024


@pytest.mark.parametrize("source", ["default", "eu-west-1", "prod.cluster_2", "A", "9" * 63])
def test_safe_sources_are_accepted(source):
    assert layout.validate_source(source) == source


@pytest.mark.parametrize(
    "source",
    ["", ".", "..", "-x", "_x", ".hidden", "a/b", "a b", "é", "s" * 64, "a\x00", "a\n", "x%2f"],
)
def test_unsafe_sources_are_refused_with_the_allowed_set(source):
    with pytest.raises(layout.InvalidSource, match="A-Z a-z 0-9"):
        layout.validate_source(source)


def test_partition_is_a_prefix_of_every_name_in_it():
    prefix = layout.partition(layout.ARCHIVED, RECEIVED, "eu")

    assert name(source="eu").startswith(prefix)
    assert prefix == "alerts/dt=2026-11-27/hour=04/source=eu/"
