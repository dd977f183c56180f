"""End to end over real HTTP: signed Slack payloads in, calls on the fake Web API out."""

from __future__ import annotations

import json
import time
import uuid

from tests.slack import payloads as p


def uid() -> str:
    return uuid.uuid4().hex[:10]


def ts() -> str:
    return f"{time.time():.6f}"


def test_healthz(slack):
    server, _ = slack
    res = server.get("/healthz")
    assert res.status == 200 and json.loads(res.body)["entries"] > 0


def test_url_verification_echoes_challenge(slack):
    server, _ = slack
    res = server.post(p.URL_VERIFICATION)
    assert res.status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in res.body


def test_missing_forged_and_stale_signatures_get_401_and_no_reply(slack):
    server, fake = slack
    body = p.event_callback(p.mention("Medicare ABN option 1 code?", ts=ts()), event_id="Ev" + uid())
    assert server.post(body, signed=False).status == 401
    forged = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64}
    assert server.post(body, signed=False, headers=forged).status == 401
    assert server.post(body, timestamp=int(time.time()) - 600).status == 401
    time.sleep(0.5)
    assert fake.posted() == []


def test_mention_answered_in_thread_with_ga_and_source_link(slack):
    server, fake = slack
    event_ts = ts()
    res = server.post(p.event_callback(p.mention("Medicare ABN option 1 code?", ts=event_ts), event_id="Ev" + uid()))
    assert res.status == 200 and res.elapsed < 3
    [call] = fake.wait_for("chat.postMessage")
    assert call.body["channel"] == p.CHANNEL and call.body["thread_ts"] == event_ts
    blocks = json.dumps(call.body["blocks"])
    assert "*GA*" in blocks
    assert "<https://" in blocks and "Reviewed 20" in blocks
    assert "feedback_up" in blocks and "feedback_down" in blocks
    assert "GA" in call.body["text"]


def test_retry_of_same_event_is_not_answered_twice(slack):
    server, fake = slack
    event_id = "Ev" + uid()
    body = p.event_callback(p.mention("what does KX mean", ts=ts()), event_id=event_id)
    assert server.post(body).status == 200
    fake.wait_for("chat.postMessage")
    retry = server.post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status == 200
    time.sleep(0.6)
    assert len(fake.posted()) == 1


def test_direct_message_answered_directly(slack):
    server, fake = slack
    server.post(p.event_callback(p.direct_message("units for 38 min", ts=ts()), event_id="Ev" + uid()))
    [call] = fake.wait_for("chat.postMessage")
    assert call.body["channel"] == p.DM_CHANNEL and "thread_ts" not in call.body
    assert "3 units" in json.dumps(call.body["blocks"])


def test_mention_inside_a_dm_answered_once(slack):
    server, fake = slack
    t = ts()
    server.post(p.event_callback(p.direct_message("<@UBOT0001> is 97530 timed", ts=t), event_id="Ev" + uid()))
    server.post(
        p.event_callback(
            p.mention("is 97530 timed", ts=t, channel=p.DM_CHANNEL, channel_type="im"), event_id="Ev" + uid()
        )
    )
    time.sleep(0.8)
    assert len(fake.posted()) == 1


def test_own_and_other_bot_messages_ignored(slack):
    server, fake = slack
    own = p.direct_message("units for 38 min", ts=ts(), user="UBOT0001", bot_id="BBOT0001")
    other = p.direct_message("units for 38 min", ts=ts(), user="U0OTHER", bot_id=p.OTHER_BOT, subtype="bot_message")
    assert server.post(p.event_callback(own, event_id="Ev" + uid())).status == 200
    assert server.post(p.event_callback(other, event_id="Ev" + uid())).status == 200
    time.sleep(0.6)
    assert fake.posted() == []


def test_broadcasts_and_mentions_never_echoed(slack):
    server, fake = slack
    server.post(
        p.event_callback(
            p.mention("<!channel> <!here> <@U0BOSS> can PTs dry needle in NY <!everyone>", ts=ts()),
            event_id="Ev" + uid(),
        )
    )
    [call] = fake.wait_for("chat.postMessage")
    everything = json.dumps(call.body)
    for live in ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>"):
        assert live not in everything
    assert "not permitted" in everything


def test_50kb_message_handled(slack):
    server, fake = slack
    text = "units for 38 min " + ("lorem ipsum <!channel> " * 2300)
    assert len(text) > 50_000
    res = server.post(p.event_callback(p.mention(text, ts=ts()), event_id="Ev" + uid()))
    assert res.status == 200
    [call] = fake.wait_for("chat.postMessage")
    assert "<!channel>" not in json.dumps(call.body)
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in call.body["blocks"] if b["type"] == "section")


def test_empty_mention_answered_with_help(slack):
    server, fake = slack
    server.post(p.event_callback(p.mention("", ts=ts()), event_id="Ev" + uid()))
    [call] = fake.wait_for("chat.postMessage")
    text = json.dumps(call.body["blocks"])
    assert "/billing code 97530" in text and "Ask me like this" in text


def test_slash_command_acks_fast_with_current_dry_needling_codes_and_share_button(slack):
    server, fake = slack
    res = server.post(p.slash_command("dry needling cpt code", fake.webhook_base + "cmd1"))
    assert res.status == 200 and res.elapsed < 3
    body = json.loads(res.body)
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body["blocks"])
    assert "20560" in text and "20561" in text and "share_answer" in text


def test_share_button_posts_visibly(slack):
    server, fake = slack
    res = server.post(p.slash_command("what does KX mean", fake.webhook_base + "cmd2"))
    share = next(
        e
        for b in json.loads(res.body)["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_answer"
    )
    server.post(p.block_action("share_answer", share["value"], fake.webhook_base + "share"))
    [hook] = fake.wait_for("/webhook")
    assert hook.body["response_type"] == "in_channel" and "KX" in json.dumps(hook.body["blocks"])
    assert "shared an answer" in json.dumps(hook.body["blocks"])


def test_did_you_mean_button_posts_chosen_answer(slack):
    server, fake = slack
    value = json.dumps({"e": "abn-option-1-modifier", "q": "abn thing"})
    server.post(p.block_action("choose_entry_0", value, fake.webhook_base + "choice"))
    [hook] = fake.wait_for("/webhook")
    assert hook.body["replace_original"] is True and "GA" in json.dumps(hook.body["blocks"])


def test_feedback_is_acknowledged(slack):
    server, fake = slack
    res = server.post(
        p.block_action(
            "feedback_down", json.dumps({"e": "abn-option-1-modifier", "s": "answered"}), fake.webhook_base + "fb"
        )
    )
    assert res.status == 200
    [hook] = fake.wait_for("/webhook")
    assert "flagged" in json.dumps(hook.body)


def test_rate_limited_post_is_retried_after_retry_after(slack):
    server, fake = slack
    fake.fail_next("chat.postMessage", 429, retry_after=1)
    server.post(p.event_callback(p.direct_message("what does KX mean", ts=ts()), event_id="Ev" + uid()))
    calls = fake.wait_for("chat.postMessage", count=2, timeout=8)
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 0.9


def test_server_errors_retried_then_given_up_and_server_keeps_serving(slack):
    server, fake = slack
    fake.fail_next("chat.postMessage", 500, times=5)
    server.post(p.event_callback(p.direct_message("what does KX mean", ts=ts()), event_id="Ev" + uid()))
    fake.wait_for("chat.postMessage", count=3, timeout=10)
    time.sleep(1.5)
    fake.reset()
    server.post(p.event_callback(p.direct_message("is 97530 timed", ts=ts()), event_id="Ev" + uid()))
    [call] = fake.wait_for("chat.postMessage")
    assert "97530" in json.dumps(call.body["blocks"])


def test_app_home_published(slack):
    server, fake = slack
    event = {"type": "app_home_opened", "user": p.USER, "channel": p.DM_CHANNEL, "tab": "home", "event_ts": ts()}
    server.post(p.event_callback(event, event_id="Ev" + uid()))
    [call] = fake.wait_for("views.publish")
    view = call.body["view"]
    assert view["type"] == "home" and "answers" in json.dumps(view) and "Topics" in json.dumps(view)
