"""Odd and hostile HTTP requests against the real server: never a 5xx, never a live mention posted."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.slack import payloads as p
from tests.slack.conftest import sign

CONTENT_TYPES = [
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data",
    "application/json; charset=utf-16",
    "",
    "application/xml",
]


def raw_post(base: str, body: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(base + "/slack/events", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    body=st.one_of(st.binary(max_size=3000), st.text(max_size=3000).map(str.encode)),
    ctype=st.sampled_from(CONTENT_TYPES),
    signed=st.booleans(),
    extra=st.dictionaries(
        st.sampled_from(["X-Slack-Retry-Num", "X-Forwarded-For", "User-Agent", "Accept"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
        max_size=3,
    ),
)
def test_random_bodies_and_headers_never_5xx(slack, body, ctype, signed, extra):
    server, _ = slack
    headers = {"Content-Type": ctype, **extra}
    if signed:
        headers.update(sign(body.decode("utf-8", "replace")))
    assert raw_post(server.base, body, headers) < 500


ODD_BUT_WELL_FORMED = [
    p.event_callback({"type": "app_mention"}),
    p.event_callback({"type": "app_mention", "text": None, "user": None, "channel": None, "ts": None}),
    p.event_callback({"type": "message", "channel_type": "im", "text": {"nested": ["<!channel>"]}, "ts": "1"}),
    p.event_callback({"type": "unknown_event_type", "x": [1, 2, 3]}),
    p.event_callback({}),
    json.dumps({"type": "event_callback", "event_id": "Ev-no-event"}),
    json.dumps({"type": "block_actions"}),
    "payload=" + "%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%7B%7D%5D%7D",
    "payload=not-json",
    "command=%2Fbilling&text=&user_id=&channel_id=",
    "command=%2Fbilling",
    "command=%2Funknown&text=hi",
    p.block_action("feedback_up", "not json at all", "http://127.0.0.1:9/webhook/x"),
    p.block_action("choose_entry_0", json.dumps({"e": "no-such-entry"}), "http://127.0.0.1:9/webhook/x"),
    p.block_action(
        "share_answer",
        json.dumps({"e": "rule:units", "q": "<!channel> units 97110:23"}),
        "http://127.0.0.1:9/webhook/x",
    ),
    p.event_callback(p.mention("```" + "<!here> " * 500 + "```", ts="1.2")),
]


def test_odd_but_well_formed_slack_requests_never_5xx_and_never_ping(slack):
    server, fake = slack
    for body in ODD_BUT_WELL_FORMED:
        body = body.replace("Ev0001", "Ev" + uuid.uuid4().hex[:8])
        res = server.post(body)
        assert res.status < 500, (res.status, body[:80])
    time.sleep(1.0)
    for call in fake.calls:
        dump = json.dumps(call.body)
        for live in ("<!channel>", "<!here>", "<!everyone>"):
            assert live not in dump
