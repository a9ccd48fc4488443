import datetime

import pytest

from alertarchive.browse import timewindow
from alertarchive.browse.timewindow import BadWindow, Window

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 27, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", NOW - datetime.timedelta(minutes=90)),
        ("24h", NOW - datetime.timedelta(hours=24)),
        ("7d", NOW - datetime.timedelta(days=7)),
        ("2w", NOW - datetime.timedelta(days=14)),
        ("2026-11-27", datetime.datetime(2026, 11, 27, tzinfo=UTC)),
        ("2026-11-27T04:00Z", datetime.datetime(2026, 11, 27, 4, tzinfo=UTC)),
        ("2026-11-27 04:00", datetime.datetime(2026, 11, 27, 4, tzinfo=UTC)),
        ("2026-11-27T13:00+09:00", datetime.datetime(2026, 11, 27, 4, tzinfo=UTC)),
    ],
)
def test_since_accepts_durations_ago_and_iso_times(text, expected):
    assert timewindow.parse_moment(text, NOW, UTC) == expected


def test_times_without_offset_are_read_in_the_display_zone():
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    moment = timewindow.parse_moment("2026-11-27T13:00", NOW, tokyo)
    assert moment == datetime.datetime(2026, 11, 27, 4, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "5 parsecs", "24", "2026-13-01", ""])
def test_unreadable_times_are_refused_with_the_accepted_forms(text):
    with pytest.raises(BadWindow, match="90m, 24h, 7d"):
        timewindow.parse_moment(text, NOW, UTC)


def test_a_window_ending_before_it_starts_is_refused():
    with pytest.raises(BadWindow, match=r"^--until 2h is before --since 1h$"):
        timewindow.window("1h", "2h", NOW, UTC)


@pytest.mark.parametrize("until", [None, "2026-11-29"])
def test_a_since_in_the_future_says_so_and_what_time_it_is(until):
    with pytest.raises(BadWindow) as refused:
        timewindow.window("2026-11-28", until, NOW, UTC)

    assert str(refused.value) == (
        "--since 2026-11-28 is in the future (now is 2026-11-27T04:30Z); "
        "nothing can have been received yet"
    )


def test_now_is_shown_in_the_display_zone_with_its_offset():
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    with pytest.raises(BadWindow, match=r"\(now is 2026-11-27T13:30\+09:00\)"):
        timewindow.window("2026-11-27T14:00", None, NOW, tokyo)


def test_a_window_starting_now_is_not_in_the_future():
    assert timewindow.window(NOW.isoformat(), None, NOW, UTC) == Window(NOW, NOW)


def test_a_window_within_one_day_lists_only_its_hours():
    span = timewindow.window("90m", None, NOW, UTC)
    assert timewindow.prefixes(span, "alerts") == [
        "alerts/dt=2026-11-27/hour=03/",
        "alerts/dt=2026-11-27/hour=04/",
    ]


def test_whole_days_are_one_prefix_and_cut_days_are_listed_by_hour():
    span = Window(
        datetime.datetime(2026, 11, 25, 22, 15, tzinfo=UTC),
        datetime.datetime(2026, 11, 27, 1, 0, tzinfo=UTC),
    )
    assert timewindow.prefixes(span, "quarantine") == [
        "quarantine/dt=2026-11-25/hour=22/",
        "quarantine/dt=2026-11-25/hour=23/",
        "quarantine/dt=2026-11-26/",
        "quarantine/dt=2026-11-27/hour=00/",
        "quarantine/dt=2026-11-27/hour=01/",
    ]


def test_days_with_nothing_stored_are_not_listed():
    span = timewindow.window("365d", None, NOW, UTC)
    present = ["alerts/dt=2026-01-02/", "alerts/dt=2026-11-27/", "alerts/dt=2024-01-01/"]
    assert timewindow.prefixes(span, "alerts", present) == [
        "alerts/dt=2026-01-02/",
        *(f"alerts/dt=2026-11-27/hour={hour:02d}/" for hour in range(5)),
    ]


def test_long_windows_look_up_the_days_present_first():
    assert not timewindow.needs_folder_listing(timewindow.window("24h", None, NOW, UTC))
    assert timewindow.needs_folder_listing(timewindow.window("7d", None, NOW, UTC))


def test_partition_start_reads_the_hour_from_an_object_name():
    name = "alerts/dt=2026-11-27/hour=04/source=default/firing-X-" + "0" * 64 + ".json"
    assert timewindow.partition_start(name) == datetime.datetime(2026, 11, 27, 4, tzinfo=UTC)
    assert timewindow.partition_start("alerts/dt=2026-11-27/hour=99/x.json") is None
    assert timewindow.partition_start("elsewhere/x.json") is None


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("800000d", None),
        ("99999999999999999999w", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("1d", "9999-12-31T23:59:59-14:00"),
    ],
)
def test_times_beyond_the_calendar_are_refused_with_the_range_that_works(since, until):
    with pytest.raises(BadWindow, match="between the years 1 and 9999"):
        timewindow.window(since, until, NOW, UTC)


def test_a_window_reaching_the_end_of_the_calendar_lists_its_partitions():
    end = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    span = Window(end - datetime.timedelta(hours=2), end)

    assert timewindow.prefixes(span, "alerts") == [
        "alerts/dt=9999-12-31/hour=21/",
        "alerts/dt=9999-12-31/hour=22/",
        "alerts/dt=9999-12-31/hour=23/",
    ]
    assert timewindow.prefixes(Window(NOW, end), "alerts", ["alerts/dt=2026-11-28/"]) == [
        "alerts/dt=2026-11-28/"
    ]
