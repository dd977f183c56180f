"""The store suite, run against SQLite and (when BILLING_BOT_TEST_DATABASE_URL is set) PostgreSQL."""

from __future__ import annotations

import io
import logging
import os
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot import reports
from bot.cli import main
from bot.store import Store, choices, database_url, events, feedback, questions
from tests.phi_corpus import PHI_QUESTIONS
from tests.tcp_proxy import TcpProxy

PG_URL = os.environ.get("BILLING_BOT_TEST_DATABASE_URL", "")
needs_pg = pytest.mark.skipif(not PG_URL, reason="BILLING_BOT_TEST_DATABASE_URL is not set (no PostgreSQL to test)")


def _clear(url: str) -> None:
    store = Store(url, background=False)
    with store.engine.begin() as conn:
        for table in (questions, feedback, choices, events):
            conn.execute(table.delete())
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=needs_pg)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.sqlite3'}"
    url = database_url({"DATABASE_URL": PG_URL})
    _clear(url)
    return url


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def record(store: Store, question: str, status: str = "answered", entry: str | None = "e1") -> None:
    from bot.store import QuestionRecord

    store.record_question(QuestionRecord(question, "channel", status, entry, 0.5, 1.2, "v1"))


def test_heroku_postgres_scheme_and_sqlite_paths():
    assert database_url({"DATABASE_URL": "postgres://u:p@h:5432/db"}) == "postgresql+psycopg://u:p@h:5432/db"
    assert database_url({"BILLING_BOT_DATABASE_URL": "/tmp/x.sqlite3"}) == "sqlite:////tmp/x.sqlite3"
    assert database_url({}).startswith("sqlite:///") and database_url({}).endswith("billing-bot.sqlite3")


def test_questions_feedback_and_choices_are_recorded(store):
    record(store, "what does KX mean")
    store.record_feedback("e1", "answered", "down", "outdated", "threshold changed")
    store.record_choice("abn opt 1 mod", "abn-option-1-modifier")
    assert store.flush()
    [q] = list(store.rows(questions))
    assert q["question"] == "what does KX mean" and q["status"] == "answered" and q["knowledge_version"] == "v1"
    [f] = list(store.rows(feedback))
    assert (f["vote"], f["reason"], f["comment"]) == ("down", "outdated", "threshold changed")
    assert [c["entry_id"] for c in store.rows(choices)] == ["abn-option-1-modifier"]


def test_phi_corpus_never_reaches_database_or_log(store, caplog):
    caplog.set_level(logging.DEBUG)
    for question, _ in PHI_QUESTIONS:
        record(store, question)
        store.record_choice(question, "e1")
    assert store.flush()
    with store.engine.connect() as conn:
        dump = "\n".join(str(tuple(r)) for t in (questions, choices) for r in conn.execute(sa.select(t)))
    logged = caplog.text
    for question, values in PHI_QUESTIONS:
        for value in values:
            assert value not in dump, (value, question)
            assert value not in logged, value
    assert dump.count("[NAME]") >= 40


def test_event_dedup_is_shared_between_store_instances(db_url):
    a, b = Store(db_url), Store(db_url)
    try:
        assert a.first_time("evt:Ev1") is True
        assert b.first_time("evt:Ev1") is False
        assert b.first_time("evt:Ev2") is True
    finally:
        a.close()
        b.close()


def test_retention_purges_old_rows(store):
    record(store, "old question")
    assert store.flush()
    with store.engine.begin() as conn:
        conn.execute(questions.update().values(created_at=questions.c.created_at - timedelta(days=400)))
    record(store, "new question")
    assert store.flush()
    assert store.purge() == 1
    assert [r["question"] for r in store.rows(questions)] == ["new question"]


def test_report_text_html_and_suggestions(store, kb, tmp_path, monkeypatch):
    for q in ["wifi password?", "wifi pasword", "what is the wifi password", "parking validation?"]:
        record(store, q, status="no_match", entry=None)
    record(store, "kx?", entry=kb.entries[0].id)
    store.record_feedback(kb.entries[0].id, "answered", "down", "wrong")
    store.record_choice("abn opt one mod", "abn-option-1-modifier")
    assert store.flush()
    rep = reports.build_report(store, kb, days=7)
    assert rep.total == 5 and rep.unanswered[0].count == 3
    text = reports.render_text(rep)
    assert "no_match" in text and "wifi" in text and "Entries never hit" in text
    page = reports.render_html(rep)
    assert page.startswith("<!doctype html>") and "<svg" in page and "<script" not in page
    snippet = reports.phrasing_suggestions(rep, kb)
    assert "- id: abn-option-1-modifier" in snippet and '"abn opt one mod"' in snippet


def test_cli_report_writes_html(db_url, tmp_path, monkeypatch):
    s = Store(db_url)
    record(s, "what does KX mean")
    s.close()
    monkeypatch.setenv("BILLING_BOT_DATABASE_URL", db_url)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "report.html"
    assert main(["report", "--days", "3", "--html", str(target)], stdout=out, stderr=err) == 0
    assert "questions" in out.getvalue() and target.read_text().startswith("<!doctype html>")


@needs_pg
def test_database_down_degrades_and_resumes(tmp_path, caplog):
    """Through a TCP proxy we can cut: writes queue while PostgreSQL is unreachable, then land."""
    caplog.set_level(logging.WARNING)
    url = sa.engine.make_url(database_url({"DATABASE_URL": PG_URL}))
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    store = Store(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    try:
        record(store, "before outage")
        assert store.flush()
        proxy.stop()
        record(store, "during outage")
        assert store.first_time("evt:during-outage") is True  # memory fallback, still answers
        time.sleep(1.0)
        assert "database unavailable" in caplog.text
        proxy.start()
        assert store.flush(timeout=20)
        assert "logging resumes" in caplog.text
        assert {r["question"] for r in store.rows(questions)} >= {"before outage", "during outage"}
    finally:
        store.close()
        proxy.stop()
