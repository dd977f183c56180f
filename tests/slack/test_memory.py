"""Store-backed Slack behaviour: admin reload/report, patient details, feedback modal, two processes."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid

import pytest
import sqlalchemy as sa

from bot.core.knowledge import default_directory
from bot.store import Store, database_url, events, feedback, questions
from tests.slack import payloads as p
from tests.slack.conftest import start_server, stop_server

PG_URL = os.environ.get("BILLING_BOT_TEST_DATABASE_URL", "")
ADMIN = "U0ADMIN01"


def uid() -> str:
    return uuid.uuid4().hex[:10]


def ts() -> str:
    return f"{time.time():.6f}"


@pytest.fixture(scope="module")
def world(fake_slack, tmp_path_factory):
    root = tmp_path_factory.mktemp("memory")
    knowledge = root / "knowledge"
    shutil.copytree(default_directory(), knowledge)
    db = root / "log.sqlite3"
    server = start_server(fake_slack, {"BILLING_BOT_KNOWLEDGE": str(knowledge)}, db_path=str(db))
    yield server, fake_slack, knowledge, f"sqlite:///{db}"
    stop_server(server)


def command(server, fake, text, user=p.USER):
    """The text the user ends up seeing: the ack body, or for slow admin commands the response_url post."""
    fake.reset()
    body = p.slash_command(text, fake.webhook_base + "c").replace(f"user_id={p.USER}", f"user_id={user}")
    res = server.post(body)
    assert res.status == 200 and res.elapsed < 3
    if "Working on it" in res.body:
        [hook] = fake.wait_for("/webhook", timeout=20)
        return json.dumps(hook.body)
    return res.body


def test_non_admin_reload_politely_refused(world):
    server, fake, _, _ = world
    assert "is for the bot's admins" in command(server, fake, "reload")


def test_reload_with_broken_knowledge_keeps_old_and_lists_errors(world):
    server, fake, knowledge, _ = world
    target = knowledge / "faq" / "abn.yaml"
    original = target.read_text()
    try:
        target.write_text(original.replace("reviewed: 2026-11-25", "reviewed: not-a-date", 1))
        body = command(server, fake, "reload", user=ADMIN)
        assert "Reload refused" in body and "abn.yaml" in body
        ans = command(server, fake, "Medicare ABN option 1 code?")
        assert "GA" in ans
    finally:
        target.write_text(original)
    body = command(server, fake, "reload", user=ADMIN)
    assert "Reloaded." in body


def test_patient_details_in_channel_answered_privately_with_reminder(world):
    server, fake, _, url = world
    fake.reset()
    server.post(
        p.event_callback(p.mention("pt John Smith DOB 3/4/1951 - what does KX mean", ts=ts()), event_id="Ev" + uid())
    )
    [call] = fake.wait_for("chat.postEphemeral")
    assert call.body["user"] == p.USER and "patient details" in json.dumps(call.body)
    assert fake.posted("chat.postMessage") == []
    time.sleep(1.5)
    store = Store(url, background=False)
    stored = " ".join(r["question"] for r in store.rows(questions))
    store.close()
    assert "John Smith" not in stored and "3/4/1951" not in stored and "[NAME]" in stored


def test_thumbs_down_opens_reason_modal_and_stores_reason(world):
    server, fake, _, url = world
    fake.reset()
    value = json.dumps({"e": "abn-option-1-modifier", "s": "answered"})
    server.post(p.block_action("feedback_down", value, fake.webhook_base + "fb"))
    [call] = fake.wait_for("views.open")
    view = call.body["view"]
    assert view["callback_id"] == "feedback_reason"
    submission = {
        "type": "view_submission",
        "team": {"id": p.TEAM},
        "user": {"id": p.USER},
        "api_app_id": "A0BILLING",
        "view": {
            **view,
            "id": "V1",
            "state": {
                "values": {
                    "reason": {"reason": {"type": "radio_buttons", "selected_option": {"value": "outdated"}}},
                    "comment": {
                        "comment": {"type": "plain_text_input", "value": "KX amount changed for pt Mary Jones"}
                    },
                }
            },
        },
    }
    from urllib.parse import quote

    assert server.post("payload=" + quote(json.dumps(submission))).status == 200
    time.sleep(1.5)
    store = Store(url, background=False)
    rows = list(store.rows(feedback))
    store.close()
    assert any(r["reason"] == "outdated" and r["entry_id"] == "abn-option-1-modifier" for r in rows)
    assert all("Mary Jones" not in (r["comment"] or "") for r in rows)


def test_admin_report_summary(world):
    server, fake, _, _ = world
    body = command(server, fake, "report", user=ADMIN)
    assert "questions" in body and "answered" in body


@pytest.mark.skipif(not PG_URL, reason="BILLING_BOT_TEST_DATABASE_URL is not set (no PostgreSQL to test)")
def test_two_processes_same_event_one_reply(fake_slack):
    url = database_url({"DATABASE_URL": PG_URL})
    s = Store(url, background=False)
    with s.engine.begin() as conn:
        conn.execute(events.delete())
        conn.execute(questions.delete())
    s.close()
    env = {"DATABASE_URL": PG_URL.replace("postgresql://", "postgres://")}
    a = start_server(fake_slack, env)
    b = start_server(fake_slack, env)
    try:
        fake_slack.reset()
        body = p.event_callback(p.mention("pt Jane Roe asked: what does KX mean", ts=ts()), event_id="Ev" + uid())
        assert a.post(body).status == 200 and b.post(body).status == 200
        time.sleep(1.5)
        assert len(fake_slack.posted("chat.postEphemeral")) + len(fake_slack.posted("chat.postMessage")) == 1
        s = Store(url, background=False)
        with s.engine.connect() as conn:
            logged = [r.question for r in conn.execute(sa.select(questions.c.question))]
        s.close()
        assert len(logged) == 1 and "Jane Roe" not in logged[0]
    finally:
        stop_server(a)
        stop_server(b)
