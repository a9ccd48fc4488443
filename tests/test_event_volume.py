"""bench/event_volume.py, shrunk: repeats and HA copies of a mute are one object per hour."""

from __future__ import annotations

from bench import event_volume


def test_mutes_of_an_ha_pair_are_stored_once_per_alert_per_hour(monkeypatch, tmp_path):
    alerts, peers, hours = 5, 2, 2

    volume = event_volume.simulate(monkeypatch, tmp_path / "archive", alerts, peers, hours)

    passes_per_hour = 12  # group_interval 5m
    assert volume.events == alerts * peers * hours * passes_per_hour
    assert volume.before == volume.events  # every copy's bytes differ: its own hash
    assert volume.after == alerts * hours


def test_each_simulated_copy_is_the_captured_event_with_its_own_time_and_peer():
    template = event_volume.captured_mute()
    at = event_volume.DAY_START

    first, other_peer, other_alert = (
        event_volume.mute_event(template, 0, 0, at),
        event_volume.mute_event(template, 0, 1, at),
        event_volume.mute_event(template, 1, 0, at),
    )

    muted = [event["data"]["silenceMutedAlert"]["mutedAlert"] for event in (first, other_peer)]
    assert muted[0] == muted[1] and first["instance"] != other_peer["instance"]
    assert (
        other_alert["data"]["silenceMutedAlert"]["mutedAlert"]["fingerprint"]
        != muted[0]["fingerprint"]
    )
    assert (
        first["data"]["silenceMutedAlert"]["silence"]
        == template["data"]["silenceMutedAlert"]["silence"]
    )
