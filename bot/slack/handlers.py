"""Plain functions behind the Slack listeners: payload in, Reply out. No Bolt objects, so tests call them directly."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.answerer import Answerer
from bot.core.models import Answer
from bot.slack.render import Message, render_answer, render_help, render_home

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
    """What the listeners need: the answerer, settings-derived text, and hooks for the store."""

    answerers: AnswererHolder
    contact: str = "your billing lead"
    dedupe: EventDeduper = field(default_factory=EventDeduper)
    on_feedback: FeedbackHook = _log_feedback
    on_answer: Callable[[str, Answer, str], None] = lambda question, answer, channel_type: None

    @property
    def answerer(self) -> Answerer:
        return self.answerers.current


@dataclass(frozen=True)
class Reply:
    message: Message
    thread_ts: str | None = None


_MENTION_RE = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def question_text(text: str | None) -> str:
    """The question without the bot mention; other markup is neutralized later by the core and the renderer."""
    return _MENTION_RE.sub(" ", text or "").strip()


def is_from_a_bot(event: dict[str, Any]) -> bool:
    return bool(event.get("bot_id")) or event.get("subtype") in {"bot_message", "message_changed", "message_deleted"}


def help_message(services: Services) -> Message:
    kb = services.answerer.kb
    return render_help(sorted(kb.topics), len(kb.entries), kb.last_reviewed)


def answer_question(services: Services, question: str, channel_type: str, *, share: bool = False) -> Message:
    words = question.split(None, 1)
    if question.strip().lower() in HELP_WORDS:
        return help_message(services)
    if words and words[0].lower() in LOOKUP_WORDS and len(words) == 2:
        answer = services.answerer.lookup(words[0], words[1])
    else:
        answer = services.answerer.ask(question)
    try:
        services.on_answer(question, answer, channel_type)
    except Exception:  # the log must never stop an answer
        log.warning("could not record the question", exc_info=True)
    return render_answer(answer, contact=services.contact, share=share)


def handle_mention(event: dict[str, Any], services: Services) -> Reply | None:
    """app_mention: answer in a thread under the question (help when the mention is empty)."""
    if is_from_a_bot(event) or str(event.get("channel", "")).startswith("D") or event.get("channel_type") == "im":
        return None  # DMs are answered by the message.im listener
    if not services.dedupe.first_time(f"msg:{event.get('channel')}:{event.get('ts')}"):
        return None
    question = question_text(event.get("text"))
    thread = event.get("thread_ts") or event.get("ts")
    return Reply(answer_question(services, question, "channel"), thread_ts=thread)


def handle_direct_message(event: dict[str, Any], services: Services) -> Reply | None:
    if event.get("channel_type") != "im" or is_from_a_bot(event) or event.get("subtype"):
        return None
    if not services.dedupe.first_time(f"msg:{event.get('channel')}:{event.get('ts')}"):
        return None
    return Reply(answer_question(services, question_text(event.get("text")), "im"), thread_ts=event.get("thread_ts"))


def handle_command(command: dict[str, Any], services: Services) -> Message:
    """`/billing QUESTION` (ephemeral, with Share), `/billing help`, and the table lookups."""
    text = (command.get("text") or "").strip()
    return answer_question(services, text, "command", share=True)


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


def home_view(services: Services, admin: bool = False) -> dict[str, Any]:
    kb = services.answerer.kb
    counts: dict[str, int] = {}
    for e in kb.entries:
        counts[e.topic] = counts.get(e.topic, 0) + 1
    return render_home(dict(kb.topics), counts, len(kb.entries), kb.last_reviewed)
