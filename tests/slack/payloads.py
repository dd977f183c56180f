"""Payloads shaped like Slack's, as constants and small builders (bodies are signed by the caller)."""

from __future__ import annotations

import json
import time
from urllib.parse import quote, urlencode

TEAM = "T0001"
CHANNEL = "C0CLINIC1"
DM_CHANNEL = "D0DM00001"
USER = "U0STAFF01"
OTHER_BOT = "B0OTHER01"


def event_callback(event: dict, event_id: str = "Ev0001") -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0BILLING",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authed_users": ["UBOT0001"],
            "event": event,
        }
    )


def mention(text: str, ts: str = "1700000000.000100", channel: str = CHANNEL, **extra: object) -> dict:
    return {
        "type": "app_mention",
        "user": USER,
        "text": f"<@UBOT0001> {text}".rstrip(),
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **extra,
    }


def direct_message(text: str, ts: str = "1700000001.000100", **extra: object) -> dict:
    return {
        "type": "message",
        "channel_type": "im",
        "user": USER,
        "text": text,
        "ts": ts,
        "channel": DM_CHANNEL,
        "event_ts": ts,
        **extra,
    }


def slash_command(text: str, response_url: str, command: str = "/billing") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "clinic",
            "channel_id": CHANNEL,
            "channel_name": "billing",
            "user_id": USER,
            "user_name": "frontdesk",
            "command": command,
            "text": text,
            "api_app_id": "A0BILLING",
            "response_url": response_url,
            "trigger_id": "1337.42.abc",
        }
    )


def block_action(action_id: str, value: str, response_url: str, channel: str = CHANNEL) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": USER},
        "api_app_id": "A0BILLING",
        "container": {"type": "message", "channel_id": channel, "message_ts": "1700000002.000100"},
        "channel": {"id": channel},
        "response_url": response_url,
        "trigger_id": "1337.43.def",
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": str(time.time())}
        ],
    }
    return "payload=" + quote(json.dumps(payload))


URL_VERIFICATION = json.dumps(
    {"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
)
