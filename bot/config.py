"""Settings from the environment, with one clear error per missing or malformed variable."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
DEFAULT_CONTACT = "your billing lead"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    port: int = DEFAULT_PORT
    api_url: str = DEFAULT_API_URL
    contact: str = DEFAULT_CONTACT
    admins: frozenset[str] = field(default_factory=frozenset)
    knowledge_dir: str | None = None

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(port={self.port}, api_url={self.api_url!r}, admins={sorted(self.admins)})"


_TOKEN_PREFIX = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}


def _token(env: Mapping[str, str], name: str, required: bool, purpose: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        if required:
            raise ConfigError(f"{name} is not set ({purpose})")
        return ""
    prefix = _TOKEN_PREFIX.get(name)
    if prefix and not value.startswith(prefix):
        raise ConfigError(f"{name} is malformed: it should start with '{prefix}' ({purpose})")
    if re.search(r"\s", value):
        raise ConfigError(f"{name} is malformed: it contains whitespace")
    return value


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    need_http: bool = False,
    need_socket: bool = False,
    port: int | None = None,
) -> Settings:
    """Read settings; `need_http` requires the bot token and signing secret, `need_socket` the app token."""
    env = os.environ if env is None else env
    bot_token = _token(env, "SLACK_BOT_TOKEN", need_http or need_socket, "the Bot User OAuth Token, xoxb-...")
    signing_secret = env.get("SLACK_SIGNING_SECRET", "").strip()
    if need_http and not signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is not set (the app's Signing Secret, under Basic Information)")
    app_token = _token(env, "SLACK_APP_TOKEN", need_socket, "an app-level token with connections:write, xapp-...")

    if port is None:
        raw_port = env.get("PORT", "").strip()
        if raw_port:
            if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
                raise ConfigError(f"PORT is malformed: {raw_port!r} is not a port number (1-65535)")
            port = int(raw_port)
        else:
            port = DEFAULT_PORT

    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", api_url):
        raise ConfigError(f"SLACK_API_URL is malformed: {api_url!r} is not an http(s) URL")
    if not api_url.endswith("/"):
        api_url += "/"

    admins = frozenset(a.strip() for a in env.get("BILLING_BOT_ADMINS", "").split(",") if a.strip())
    bad = [a for a in admins if not re.match(r"^[UW][A-Z0-9]{2,}$", a)]
    if bad:
        raise ConfigError(f"BILLING_BOT_ADMINS is malformed: {bad[0]!r} is not a Slack user id (U...)")

    return Settings(
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        port=port,
        api_url=api_url,
        contact=env.get("BILLING_BOT_CONTACT", "").strip() or DEFAULT_CONTACT,
        admins=admins,
        knowledge_dir=env.get("BILLING_BOT_KNOWLEDGE") or None,
    )
