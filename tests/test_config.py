"""Configuration from the environment: safe defaults locally, loud refusals on Cloud."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alertarchive.receiver.config import ConfigError, Settings
from tests.support.processes import REPO


def test_local_defaults_archive_to_a_directory_with_documented_limits():
    settings = Settings.from_environ({})

    assert settings.archive_url == "./archive"
    assert settings.tokens == ()
    assert settings.max_body_bytes == 10 * 1024 * 1024
    assert settings.storage_timeout_seconds == 8.0


def test_tokens_are_comma_separated_and_trimmed():
    settings = Settings.from_environ({"WEBHOOK_TOKENS": " old , new,,"})

    assert settings.tokens == ("old", "new")


def test_on_cloud_without_archive_url_refuses_to_start_naming_the_variable():
    with pytest.raises(ConfigError, match=r"ARCHIVE_URL.*gs://BUCKET"):
        Settings.from_environ({"K_SERVICE": "alertarchive", "WEBHOOK_TOKENS": "t"})


def test_on_cloud_without_tokens_refuses_to_start():
    with pytest.raises(ConfigError, match="WEBHOOK_TOKENS"):
        Settings.from_environ({"K_SERVICE": "alertarchive", "ARCHIVE_URL": "gs://b"})


def test_on_cloud_a_token_list_without_tokens_is_refused_as_such():
    with pytest.raises(ConfigError, match="WEBHOOK_TOKENS holds no token"):
        Settings.from_environ({"K_SERVICE": "a", "ARCHIVE_URL": "gs://b", "WEBHOOK_TOKENS": " , "})


@pytest.mark.parametrize(
    "url,says",
    [
        ("gcs://my-bucket", "gcs:// is not supported"),
        ("s3://my-bucket/alerts", "s3:// is not supported"),
        ("https://storage.googleapis.com/my-bucket", "https:// is not supported"),
        ("gs:/my-bucket", "not a gs:// URL"),
        ("gs:my-bucket", "not a gs:// URL"),
    ],
)
def test_archive_urls_no_backend_serves_are_refused_saying_what_works(url, says):
    with pytest.raises(ConfigError, match=f"ARCHIVE_URL='{url}': {says}; use gs://BUCKET"):
        Settings.from_environ({"ARCHIVE_URL": url})


def test_an_archive_url_naming_a_file_is_refused_at_start(tmp_path):
    from alertarchive.receiver.receive import Receiver

    (tmp_path / "archive").write_text("not a directory")
    settings = Settings.from_environ({"ARCHIVE_URL": str(tmp_path / "archive")})

    with pytest.raises(ConfigError, match="is a file, not a directory"):
        Receiver.from_settings(settings)


def test_a_local_archive_on_cloud_starts_with_a_warning_about_the_discarded_disk(tmp_path, capfd):
    from alertarchive.receiver.receive import Receiver

    settings = Settings.from_environ(
        {"K_SERVICE": "a", "ARCHIVE_URL": str(tmp_path / "mnt"), "WEBHOOK_TOKENS": "t"}
    )
    Receiver.from_settings(settings)

    assert "only a mounted volume keeps what is archived" in capfd.readouterr().out


def test_on_cloud_without_tokens_starts_when_explicitly_allowed():
    settings = Settings.from_environ(
        {"K_SERVICE": "a", "ARCHIVE_URL": "gs://b", "ALLOW_UNAUTHENTICATED": "true"}
    )

    assert settings.tokens == ()


@pytest.mark.parametrize(
    "name,value",
    [
        ("MAX_BODY_BYTES", "ten"),
        ("MAX_BODY_BYTES", "0"),
        ("STORAGE_TIMEOUT_SECONDS", "-1"),
        ("STORAGE_TIMEOUT_SECONDS", "soon"),
        ("ALLOW_UNAUTHENTICATED", "maybe"),
    ],
)
def test_malformed_values_are_refused_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_environ({name: value})


def test_numbers_are_read_from_the_environment():
    settings = Settings.from_environ({"MAX_BODY_BYTES": "2048", "STORAGE_TIMEOUT_SECONDS": "2.5"})

    assert (settings.max_body_bytes, settings.storage_timeout_seconds) == (2048, 2.5)


def test_served_function_exits_with_the_message_when_misconfigured_on_cloud(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import main"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"K_SERVICE": "alertarchive", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )

    assert result.returncode == 1
    assert "alertarchive cannot start: ARCHIVE_URL is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_served_function_exits_with_the_message_when_the_archive_is_a_file(tmp_path):
    (tmp_path / "archive").write_text("")
    result = subprocess.run(
        [sys.executable, "-c", "import main"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"ARCHIVE_URL": str(tmp_path / "archive"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )

    assert result.returncode == 1
    assert "alertarchive cannot start: ARCHIVE_URL=" in result.stderr
    assert "is a file, not a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_starting_without_tokens_logs_a_warning(tmp_path, capfd):
    from alertarchive.receiver.receive import Receiver

    Receiver.from_settings(Settings.from_environ({"ARCHIVE_URL": str(tmp_path)}))

    assert '"severity":"WARNING"' in capfd.readouterr().out


@pytest.mark.parametrize(
    "name,value",
    [
        ("STORAGE_TIMEOUT_SECONDS", "nan"),
        ("STORAGE_TIMEOUT_SECONDS", "NaN"),
        ("STORAGE_TIMEOUT_SECONDS", "inf"),
        ("STORAGE_TIMEOUT_SECONDS", "-inf"),
        ("STORAGE_TIMEOUT_SECONDS", "1e10"),
        ("STORAGE_TIMEOUT_SECONDS", "3601"),
        ("STORAGE_TIMEOUT_SECONDS", "1e-9"),
        ("REQUEST_READ_TIMEOUT_SECONDS", "nan"),
        ("REQUEST_READ_TIMEOUT_SECONDS", "0"),
        ("MAX_BODY_BYTES", "1e10"),
        ("MAX_BODY_BYTES", "nan"),
        ("MAX_BODY_BYTES", "99999999999999999999"),
        ("MAX_BODY_BYTES", "1_000"),
    ],
)
def test_numbers_outside_a_finite_sane_range_are_refused_at_start_naming_the_range(name, value):
    with pytest.raises(ConfigError, match=rf"^{name}='{value}' .*(between|whole number)"):
        Settings.from_environ({name: value})


def test_the_bounds_of_each_numeric_range_are_accepted():
    low = Settings.from_environ({"MAX_BODY_BYTES": "100", "STORAGE_TIMEOUT_SECONDS": "0.1"})
    high = Settings.from_environ(
        {"MAX_BODY_BYTES": str(1024 * 1024 * 1024), "STORAGE_TIMEOUT_SECONDS": "3600"}
    )

    assert (low.max_body_bytes, low.storage_timeout_seconds) == (100, 0.1)
    assert (high.max_body_bytes, high.storage_timeout_seconds) == (1024**3, 3600.0)


def test_served_function_exits_with_the_message_when_the_storage_timeout_is_nan():
    result = subprocess.run(
        [sys.executable, "-c", "import main"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"STORAGE_TIMEOUT_SECONDS": "nan", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )

    assert result.returncode == 1
    assert "alertarchive cannot start: STORAGE_TIMEOUT_SECONDS='nan'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("token", ["tab\tinside", "new\nline", "nul\x00", "del\x7f"])
def test_a_token_no_http_client_can_send_is_refused_at_start_without_echoing_it(token):
    with pytest.raises(ConfigError) as refused:
        Settings.from_environ({"WEBHOOK_TOKENS": f"fine-token,{token}"})

    message = str(refused.value)
    assert message.startswith("WEBHOOK_TOKENS: token 2 of 2 holds a control character")
    assert token not in message and "fine-token" not in message


def test_a_non_ascii_token_is_kept_as_written():
    settings = Settings.from_environ({"WEBHOOK_TOKENS": "jeton-été-🔑"})

    assert settings.tokens == ("jeton-été-🔑",)
