"""Plain functions behind the Slack listeners: payload in, Reply out. No Bolt objects, so tests call them directly."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.answerer import Answerer
from bot.core.cache import load_answerer
from bot.core.knowledge import KnowledgeError
from bot.core.models import Answer
from bot.privacy import REMINDER, contains_phi
from bot.slack.render import Message, escape, render_answer, render_help, render_home

log = logging.getLogger("billing_bot.slack")

LOOKUP_WORDS = {"code", "mod", "modifier", "units", "pair", "state"}
HELP_WORDS = {"", "help", "?", "hi", "hello", "hey"}


class AnswererHolder:
    """The answerer in use; `swap` replaces it whole (knowledge reload), readers never see a half-built one."""

    def __init__(self, answerer: Answerer):
        self._answerer = answerer
        self._lock = threading.Lock()

    @property
    def current(self) -> Answerer:
        return self._answerer

    def swap(self, answerer: Answerer) -> None:
        with self._lock:
            self._answerer = answerer


class EventDeduper:
    """Remembers recent keys (event ids, message ts) so a retried or doubled event is answered once."""

    def __init__(self, capacity: int = 10_000):
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return False
            self._seen[key] = None
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return True


FeedbackHook = Callable[[dict[str, Any]], None]


def _log_feedback(record: dict[str, Any]) -> None:
    log.info("feedback %s on %s", record.get("vote"), record.get("entry_id"))


@dataclass
class Services:
    """What the listeners need: the answerer, settings-derived text, the store (optional) and admin ids."""

    answerers: AnswererHolder
    contact: str = "your billing lead"
    dedupe: Any = field(default_factory=EventDeduper)
    store: Any = None
    admins: frozenset[str] = frozenset()
    knowledge_dir: str | None = None
    on_feedback: FeedbackHook = _log_feedback

    @property
    def answerer(self) -> Answerer:
        return self.answerers.current

    def record(self, question: str, answer: Answer, channel_type: str, latency_ms: float) -> None:
        if self.store is None:
            return
        from bot.store import QuestionRecord

        self.store.record_question(
            QuestionRecord(
                question,
                channel_type,
                answer.status,
                answer.entry_id,
                answer.confidence,
                latency_ms,
                self.answerer.kb.version,
            )
        )


@dataclass(frozen=True)
class Reply:
    message: Message
    thread_ts: str | None = None
    ephemeral_user: str | None = None  # post only to this user (patient details in a shared channel)


_MENTION_RE = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def question_text(text: Any) -> str:
    """The question without the bot mention; other markup is neutralized later by the core and the renderer."""
    return _MENTION_RE.sub(" ", text).strip() if isinstance(text, str) else ""


def payload_problem(body: Any) -> str | None:
    """Why a signed Slack payload cannot be handled (None when it can): wrong shapes become a 400."""
    if not isinstance(body, dict):
        return "payload is not an object"
    kind = body.get("type")
    if kind == "event_callback" and not isinstance(body.get("event"), dict):
        return "event_callback without an event object"
    if kind == "event_callback" and not isinstance(body["event"].get("type"), str):
        return "event without a type"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "action without an action_id"
    if kind == "view_submission" and not isinstance(body.get("view"), dict):
        return "view_submission without a view"
    if "command" in body and not isinstance(body.get("command"), str):
        return "command is not text"
    return None


def is_from_a_bot(event: dict[str, Any]) -> bool:
    return bool(event.get("bot_id")) or event.get("subtype") in {"bot_message", "message_changed", "message_deleted"}


def help_message(services: Services) -> Message:
    kb = services.answerer.kb
    return render_help(sorted(kb.topics), len(kb.entries), kb.last_reviewed)


def answer_question(services: Services, question: str, channel_type: str, *, share: bool = False) -> Message:
    words = question.split(None, 1)
    if question.strip().lower() in HELP_WORDS:
        return help_message(services)
    started = time.perf_counter()
    if words and words[0].lower() in LOOKUP_WORDS and len(words) == 2:
        answer = services.answerer.lookup(words[0], words[1])
    else:
        answer = services.answerer.ask(question)
    latency_ms = (time.perf_counter() - started) * 1000
    try:
        services.record(question, answer, channel_type, latency_ms)
    except Exception as exc:  # the log must never stop an answer
        log.warning("could not record the question: %s", type(exc).__name__)
    return render_answer(answer, contact=services.contact, share=share)


def with_reminder(message: Message) -> Message:
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": "🔒 " + REMINDER}]}
    return Message(text=REMINDER + "\n" + message.text, blocks=[note, *message.blocks][:50])


def handle_mention(event: dict[str, Any], services: Services) -> Reply | None:
    """app_mention: answer in a thread under the question (help when the mention is empty)."""
    if is_from_a_bot(event) or str(event.get("channel", "")).startswith("D") or event.get("channel_type") == "im":
        return None  # DMs are answered by the message.im listener
    if not services.dedupe.first_time(f"msg:{event.get('channel')}:{event.get('ts')}"):
        return None
    question = question_text(event.get("text"))
    thread = event.get("thread_ts") or event.get("ts")
    message = answer_question(services, question, "channel")
    if contains_phi(question):
        return Reply(with_reminder(message), thread_ts=thread, ephemeral_user=str(event.get("user") or "") or None)
    return Reply(message, thread_ts=thread)


def handle_direct_message(event: dict[str, Any], services: Services) -> Reply | None:
    if event.get("channel_type") != "im" or is_from_a_bot(event) or event.get("subtype"):
        return None
    if not services.dedupe.first_time(f"msg:{event.get('channel')}:{event.get('ts')}"):
        return None
    return Reply(answer_question(services, question_text(event.get("text")), "im"), thread_ts=event.get("thread_ts"))


ADMIN_WORDS = {"report", "reload"}


def is_slow_admin_command(command: dict[str, Any], services: Services) -> bool:
    words = (command.get("text") or "").split()
    return len(words) == 1 and words[0].lower() in ADMIN_WORDS and str(command.get("user_id")) in services.admins


def handle_command(command: dict[str, Any], services: Services) -> Message:
    """`/billing QUESTION` (ephemeral, with Share), `/billing help`, lookups, and admin `report` / `reload`."""
    text = (command.get("text") or "").strip()
    first = text.split(None, 1)[0].lower() if text else ""
    if first in ADMIN_WORDS and len(text.split()) == 1:
        user = str(command.get("user_id") or "")
        if user not in services.admins:
            note = f"Sorry, `/billing {first}` is for the bot's admins. Ask {escape(services.contact)} if you need it."
            return Message(text=note, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": note}}])
        return admin_report(services) if first == "report" else admin_reload(services)
    message = answer_question(services, text, "command", share=True)
    if contains_phi(text):
        return with_reminder(message)
    return message


def _section(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]


def admin_report(services: Services) -> Message:
    if services.store is None:
        text = "No question log is configured, so there is nothing to report."
        return Message(text=text, blocks=_section(text))
    from bot.reports import build_report, summary_lines

    try:
        lines = summary_lines(build_report(services.store, services.answerer.kb, days=30))
    except Exception as exc:
        log.warning("report failed: %s", type(exc).__name__)
        text = "The question log is unavailable right now; try again later."
        return Message(text=text, blocks=_section(text))
    text = "\n".join(escape(line) for line in lines)
    return Message(text=text, blocks=_section(text))


def admin_reload(services: Services) -> Message:
    """Validate the knowledge on disk and swap it in whole; on any error keep serving the old one."""
    old = services.answerer.kb
    try:
        answerer = load_answerer(services.knowledge_dir or old.directory)
    except KnowledgeError as exc:
        errors = [p.format() for p in exc.problems if p.severity == "error"]
        shown = "\n".join(f"• {escape(e)}" for e in errors[:15])
        more = f"\n…and {len(errors) - 15} more" if len(errors) > 15 else ""
        text = (
            f"*Reload refused: {len(errors)} error(s).* Still serving the previous knowledge "
            f"(version {old.version}).\n{shown}{more}"
        )
        log.warning("knowledge reload refused: %d errors", len(errors))
        return Message(text=text, blocks=_section(text))
    kb = answerer.kb
    services.answerers.swap(answerer)
    log.info("knowledge reloaded: version %s -> %s", old.version, kb.version)
    text = f"*Reloaded.* {len(kb.entries)} entries, version {kb.version} (was {old.version})."
    return Message(text=text, blocks=_section(text))


def _value(action: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(action.get("value") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def handle_choice(action: dict[str, Any], services: Services) -> Message | None:
    """A "did you mean" button: the chosen entry's answer."""
    data = _value(action)
    entry_id = str(data.get("e", ""))
    question = str(data.get("q", ""))
    if entry_id.startswith("lookup:"):
        _, kind, arg = (entry_id.split(":", 2) + ["", ""])[:3]
        answer = services.answerer.lookup(kind, arg)
    else:
        answer = services.answerer.answer_entry(entry_id, question or None)
    if answer is None:
        return None
    if services.store is not None and question and not entry_id.startswith("lookup:"):
        try:
            services.store.record_choice(question, entry_id)
        except Exception as exc:
            log.warning("could not record the choice: %s", type(exc).__name__)
    return render_answer(answer, contact=services.contact)


def handle_share(action: dict[str, Any], user_id: str, services: Services) -> Message | None:
    """The Share button of an ephemeral /billing answer: the same answer, visible to the channel."""
    data = _value(action)
    entry_id, question = str(data.get("e", "")), str(data.get("q", ""))
    answer: Answer | None = None
    if entry_id and not entry_id.startswith("rule:"):
        answer = services.answerer.answer_entry(entry_id, question)
    if answer is None and question:
        words = question.split(None, 1)
        if words and words[0].lower() in LOOKUP_WORDS and len(words) == 2:
            answer = services.answerer.lookup(words[0], words[1])
        else:
            answer = services.answerer.ask(question)
    if answer is None or answer.status != "answered":
        return None
    return render_answer(
        answer, contact=services.contact, shared_by=user_id if re.match(r"^[UW][A-Z0-9]+$", user_id) else None
    )


def handle_feedback(action: dict[str, Any], user_id: str, services: Services) -> Message:
    data = _value(action)
    vote = "up" if action.get("action_id") == "feedback_up" else "down"
    record = {
        "vote": vote,
        "entry_id": str(data.get("e", ""))[:200],
        "status": str(data.get("s", ""))[:20],
        "user": user_id,
    }
    try:
        services.on_feedback(record)
    except Exception:
        log.warning("could not record feedback", exc_info=True)
    text = "Thanks, noted." if vote == "up" else f"Thanks for telling us. I've flagged this for {services.contact}."
    return Message(text=text, blocks=[{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}])


FEEDBACK_REASONS = (("wrong", "Wrong"), ("outdated", "Outdated"), ("unclear", "Unclear"), ("other", "Other"))
FEEDBACK_VIEW = "feedback_reason"


def feedback_modal(action: dict[str, Any]) -> dict[str, Any]:
    """The small 'what was wrong?' modal opened after 👎."""
    data = _value(action)
    meta = json.dumps({"e": str(data.get("e", ""))[:200], "s": str(data.get("s", ""))[:20]})
    return {
        "type": "modal",
        "callback_id": FEEDBACK_VIEW,
        "private_metadata": meta,
        "title": {"type": "plain_text", "text": "What was wrong?"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "The answer was"},
                "element": {
                    "type": "radio_buttons",
                    "action_id": "reason",
                    "options": [{"text": {"type": "plain_text", "text": t}, "value": v} for v, t in FEEDBACK_REASONS],
                },
            },
            {
                "type": "input",
                "block_id": "comment",
                "optional": True,
                "label": {"type": "plain_text", "text": "Anything else? (no patient details, please)"},
                "element": {"type": "plain_text_input", "action_id": "comment", "multiline": True, "max_length": 1000},
            },
        ],
    }


def handle_feedback_reason(view: dict[str, Any], services: Services) -> None:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    values = (view.get("state") or {}).get("values") or {}
    reason = (((values.get("reason") or {}).get("reason") or {}).get("selected_option") or {}).get("value")
    comment = ((values.get("comment") or {}).get("comment") or {}).get("value")
    if reason not in {v for v, _ in FEEDBACK_REASONS}:
        reason = "other"
    if services.store is not None:
        services.store.record_feedback(
            str(meta.get("e", ""))[:200] or None, str(meta.get("s", ""))[:20], "down", reason, comment
        )


def home_view(services: Services, admin: bool = False) -> dict[str, Any]:
    kb = services.answerer.kb
    counts: dict[str, int] = {}
    for e in kb.entries:
        counts[e.topic] = counts.get(e.topic, 0) + 1
    admin_lines: list[str] = []
    if admin:
        admin_lines = admin_report(services).text.split("\n") + ["`/billing report` · `/billing reload`"]
    return render_home(dict(kb.topics), counts, len(kb.entries), kb.last_reviewed, admin_lines)
