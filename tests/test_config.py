from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import DEFAULT_API_URL, ConfigError, load_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_APP_TOKEN": "xapp-1-2"}


def test_defaults_without_credentials():
    s = load_settings({})
    assert s.api_url == DEFAULT_API_URL and s.port == 3000 and not s.bot_token


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_SIGNING_SECRET": "x"}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN is malformed"),
        ({**GOOD, "PORT": "eighty"}, "PORT is malformed"),
        ({**GOOD, "PORT": "70000"}, "PORT is malformed"),
        ({**GOOD, "SLACK_API_URL": "ftp://x"}, "SLACK_API_URL is malformed"),
        ({**GOOD, "BILLING_BOT_ADMINS": "U123,bob"}, "BILLING_BOT_ADMINS is malformed"),
    ],
)
def test_each_bad_variable_is_named(env, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(env, need_http=True)


def test_socket_mode_needs_app_token():
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is not set"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, need_socket=True)


def test_settings_repr_hides_secrets():
    assert "s3cret" not in repr(load_settings(GOOD, need_http=True))


def test_api_url_gets_trailing_slash():
    assert load_settings({"SLACK_API_URL": "http://127.0.0.1:9/api"}).api_url == "http://127.0.0.1:9/api/"


def test_serve_without_signing_secret_prints_one_line_and_exits_2():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["SLACK_BOT_TOKEN"] = "xoxb-1-2"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_SIGNING_SECRET" in lines[0] and "Traceback" not in proc.stderr
