"""The CLI's cache of gs:// bodies: a second run downloads nothing, a bad cache file is never
served, --no-cache reads everything, concurrent CLIs leave only whole files, the cap evicts.

Against fake-gcs-server through the real client; CountingArchive sits under the cache, so
its reads are the downloads.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import pathlib
import subprocess
import sys
import threading

import pytest

from alertarchive.archive import layout
from alertarchive.archive.storage import open_archive
from alertarchive.browse import body_cache
from alertarchive.browse import cli as cli_module
from alertarchive.browse.body_cache import BodyCache
from tests.support.archives import DATA as ARCHIVE_DATA
from tests.support.archives import ArchiveWriter, CountingArchive, Scenario, build_scenario
from tests.support.cli import run


@pytest.fixture
def scenario(gcs_bucket):
    """The standard scenario, written by the receiver into a fresh fake-gcs bucket."""
    url = f"gs://{gcs_bucket}/team-x"
    writer = ArchiveWriter(url)
    built = Scenario(writer, writer.now, (ARCHIVE_DATA / "firing-group-of-3.json").read_bytes())
    built.url = url
    return built


def window(scenario: Scenario) -> tuple[str, ...]:
    """A fixed window around the scenario, so two runs print the same heading."""
    since = scenario.now - datetime.timedelta(days=7)
    until = scenario.now + datetime.timedelta(hours=1)
    return ("--since", f"{since:%Y-%m-%dT%H:%M:%SZ}", "--until", f"{until:%Y-%m-%dT%H:%M:%SZ}")


@pytest.fixture
def opened(monkeypatch):
    """The archives the CLI opens, each counting what it downloads."""
    archives: list[CountingArchive] = []

    def open_counting(url, timeout_seconds=8.0):
        archives.append(CountingArchive(open_archive(url, timeout_seconds)))
        return archives[-1]

    monkeypatch.setattr(cli_module, "open_archive", open_counting)
    return archives


def cache_root() -> pathlib.Path:
    return pathlib.Path(os.environ["XDG_CACHE_HOME"]) / "alertarchive" / "bodies"


def cached_files() -> list[pathlib.Path]:
    return sorted(path for path in cache_root().rglob("*") if path.is_file())


def assert_only_whole_bodies() -> None:
    for path in cached_files():
        assert not path.name.startswith(".tmp-"), f"temporary file left: {path}"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, path


def test_a_second_stats_downloads_no_body_and_prints_the_same(scenario, opened):
    first = run(scenario.url, "stats", *window(scenario))
    second = run(scenario.url, "stats", *window(scenario))

    assert first.exit_code == 0, first.output
    assert opened[0].reads, "the first stats reads the bodies"
    assert opened[1].reads == []
    assert second.stdout == first.stdout
    assert opened[1].listed == opened[0].listed  # the listing is still done
    assert_only_whole_bodies()
    assert len(cached_files()) == len(set(opened[0].reads))


def test_the_cache_is_in_xdg_cache_home(scenario, opened):
    run(scenario.url, "stats", *window(scenario))

    names = {name.rsplit("-", 1)[1].split(".")[0] for name in opened[0].reads}
    assert {path.name for path in cached_files()} == names
    assert all(path.parent.name == path.name[:2] for path in cached_files())


def test_a_corrupted_or_truncated_cache_file_is_refetched_not_served(scenario, opened):
    first = run(scenario.url, "stats", *window(scenario))
    corrupted, truncated, *_ = cached_files()
    corrupted.write_bytes(b'{"receiver":"forged"}\n')
    truncated.write_bytes(truncated.read_bytes()[:10])

    second = run(scenario.url, "stats", *window(scenario))

    assert second.stdout == first.stdout
    refetched = {name.rsplit("-", 1)[1].split(".")[0] for name in opened[1].reads}
    assert refetched == {corrupted.name, truncated.name}
    assert_only_whole_bodies()
    assert run(scenario.url, "stats", *window(scenario)).stdout == first.stdout
    assert opened[2].reads == []


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--no-cache", "stats"), {}),
        (("stats", "--no-cache"), {}),
        (("stats",), {"ALERTARCHIVE_NO_CACHE": "1"}),
    ],
    ids=["group-option", "subcommand-option", "env"],
)
def test_no_cache_reads_every_body(scenario, opened, args, env):
    filled = run(scenario.url, "stats", *window(scenario))
    before = cached_files()

    bypassed = run(scenario.url, *args, *window(scenario), env=env)

    assert bypassed.exit_code == 0, bypassed.output
    assert bypassed.stdout == filled.stdout
    assert sorted(opened[1].reads) == sorted(opened[0].reads)
    assert cached_files() == before


def test_no_cache_writes_no_cache(scenario, opened):
    run(scenario.url, "--no-cache", "stats", *window(scenario))

    assert opened[0].reads
    assert not cache_root().exists()


def test_a_local_archive_is_never_cached(tmp_path, opened):
    local = build_scenario(tmp_path / "archive")

    run(local.url, "stats", "--since", "7d")
    run(local.url, "stats", "--since", "7d")

    assert opened[1].reads == opened[0].reads != []
    assert not cache_root().exists()


def test_show_reads_through_the_cache(scenario, opened):
    name = scenario.name("captured")
    first = run(scenario.url, "show", name, "--raw")
    second = run(scenario.url, "show", name, "--raw")

    assert second.stdout_bytes == first.stdout_bytes == scenario.bodies["captured"]
    assert opened[0].reads == [name]
    assert opened[1].reads == []


def test_two_clis_filling_the_cache_at_once_leave_only_whole_files(scenario):
    command = [sys.executable, "-m", "alertarchive", "--archive", scenario.url, "--utc"]
    processes = [
        subprocess.Popen(
            [*command, "stats", *window(scenario)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert len({stdout for stdout, _ in outputs}) == 1
    assert cached_files()
    assert_only_whole_bodies()


def test_concurrent_writers_and_readers_never_see_a_partial_body(tmp_path):
    cache = BodyCache(tmp_path / "bodies")
    bodies = [os.urandom(256 * 1024) + bytes([index]) for index in range(8)]
    hashes = [hashlib.sha256(body).hexdigest() for body in bodies]
    wrong: list[bytes] = []

    def work(seed: int) -> None:
        for round_ in range(20):
            index = (seed + round_) % len(bodies)
            got = cache.get(hashes[index])
            if got is not None and got != bodies[index]:
                wrong.append(got)
            cache.put(hashes[index], bodies[index])

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert wrong == []
    assert_only_whole_bodies_in(cache.root)
    assert {path.name for path in cache.root.rglob("*") if path.is_file()} == set(hashes)


def assert_only_whole_bodies_in(root: pathlib.Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, path


def test_a_body_that_does_not_hash_to_its_key_is_not_cached(tmp_path):
    cache = BodyCache(tmp_path / "bodies")

    cache.put(hashlib.sha256(b"one").hexdigest(), b"another")

    assert not (tmp_path / "bodies").exists()


def test_the_cap_evicts_the_least_recently_used(tmp_path):
    body_size = 1000
    cache = BodyCache(tmp_path / "bodies", max_bytes=10 * body_size)
    bodies = [bytes([index]) * body_size for index in range(11)]
    hashes = [hashlib.sha256(body).hexdigest() for body in bodies]
    for index, (sha256, body) in enumerate(zip(hashes[:10], bodies, strict=False)):
        cache.put(sha256, body)  # exactly the cap: nothing evicted
        os.utime(cache.path(sha256), (1_000_000 + index, 1_000_000 + index))
    # Read the oldest one: it becomes the most recently used.
    assert cache.get(hashes[0]) == bodies[0]

    cache.put(hashes[10], bodies[10])  # over the cap: back down to 90% of it

    kept = {path.name for path in cache.root.rglob("*") if path.is_file()}
    assert sum(path.stat().st_size for path in cache.root.rglob("*") if path.is_file()) <= (
        9 * body_size
    )
    assert kept == {hashes[0], *hashes[3:11]}  # the two least recently used went


def test_reads_do_not_scan_the_cache(tmp_path, monkeypatch):
    cache = BodyCache(tmp_path / "bodies", max_bytes=10**6)
    body = b"a body"
    sha256 = hashlib.sha256(body).hexdigest()
    cache.put(sha256, body)
    scans = []
    monkeypatch.setattr(cache, "evict", lambda: scans.append(1) or 0)

    for _ in range(100):
        assert cache.get(sha256) == body

    assert scans == []


def test_the_cli_keeps_the_cache_within_its_cap(scenario, opened, monkeypatch):
    monkeypatch.setenv("ALERTARCHIVE_CACHE_MAX_BYTES", "3000")

    first = run(scenario.url, "stats", *window(scenario))
    second = run(scenario.url, "stats", *window(scenario))

    assert second.stdout == first.stdout
    assert sum(path.stat().st_size for path in cached_files()) <= 3000
    assert 0 < len(opened[1].reads) <= len(opened[0].reads)
    assert_only_whole_bodies()


def test_a_bad_cap_is_one_line(scenario, monkeypatch):
    monkeypatch.setenv("ALERTARCHIVE_CACHE_MAX_BYTES", "1G")

    result = run(scenario.url, "stats", *window(scenario))

    assert result.exit_code == 1
    assert "ALERTARCHIVE_CACHE_MAX_BYTES='1G'" in result.stderr


def test_a_cap_of_zero_turns_the_cache_off(scenario, opened, monkeypatch):
    monkeypatch.setenv("ALERTARCHIVE_CACHE_MAX_BYTES", "0")

    run(scenario.url, "stats", *window(scenario))
    run(scenario.url, "stats", *window(scenario))

    assert sorted(opened[1].reads) == sorted(opened[0].reads) != []
    assert not cache_root().exists()


def test_quarantined_names_carry_the_body_hash_they_are_cached_under():
    body = b"not json at all \x00\xff\xfe"
    sha256 = hashlib.sha256(body).hexdigest()
    name = (
        f"{layout.QUARANTINED}/dt=2026-11-27/hour=04/source=default/unknown-not-json-{sha256}.bin"
    )

    assert body_cache.ownership.sha256_in_name(name) == sha256


def test_the_default_root_follows_xdg(monkeypatch, tmp_path):
    assert body_cache.default_root({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "alertarchive" / "bodies"
    )
    home = pathlib.Path.home()
    assert body_cache.default_root({}) == home / ".cache" / "alertarchive" / "bodies"
    assert body_cache.default_root({"XDG_CACHE_HOME": "relative"}) == (
        home / ".cache" / "alertarchive" / "bodies"
    )
