"""Answer -> Block Kit blocks + text fallback. Pure functions; everything echoed is escaped.

Block Kit limits respected here: section text <= 3,000 characters, at most 50 blocks, button text <= 75,
button value <= 2,000, context elements <= 10.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.models import Answer, Source
from bot.core.text import strip_slack_markup

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ECHO_LIMIT = 300

ACTION_CHOOSE = "choose_entry"
ACTION_FEEDBACK_UP = "feedback_up"
ACTION_FEEDBACK_DOWN = "feedback_down"
ACTION_SHARE = "share_answer"

CAVEATS = {
    "payer": "Depends on the payer: check the payer's policy or contract.",
    "plan": "Depends on the plan: check the patient's plan documents.",
    "state": "Depends on the state: confirm with your state board and practice act.",
}

EXAMPLES = (
    "Medicare ABN option 1 code?",
    "can PTs dry needle in NY",
    "97140 + 97530 same day?",
    "units for 38 min?",
    "PTA did the ther ex on her own - CQ?",
)
LOOKUPS = (
    ("code 97530", "what a code is and whether it is timed"),
    ("mod KX", "what a modifier means and when to use it"),
    ("units 97110:23 97140:10", "Medicare 8-minute-rule units"),
    ("pair 97140 97530", "NCCI edit for two codes"),
    ("state NY", "dry needling by PTs in a state"),
)


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    """Slack's three control characters; enough to defuse <!channel>, <@U123> and <url|label>."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int) -> dict[str, Any]:
    text = " ".join(text.split()) or "-"
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…", "emoji": True}


def _chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split on line breaks so each piece fits a section."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) + 1 > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(current)
    return pieces


def _section(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in _chunks(text)]


def _link(source: Source) -> str:
    url = source.url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    title = escape(source.title).replace("|", "/")
    return f"<{url}|{title}>" if url else title


def sources_line(sources: Sequence[Source], reviewed: Any) -> str:
    parts = []
    for s in sources[:5]:
        when = f", {s.when}" if s.when else ""
        parts.append(f"{_link(s)} ({escape(s.publisher)}{when})")
    more = f" +{len(sources) - 5} more" if len(sources) > 5 else ""
    line = ("Sources: " + "; ".join(parts) + more) if parts else "No source on file"
    if reviewed:
        line += f" · Reviewed {reviewed.isoformat()}"
    return line[:SECTION_LIMIT]


def _feedback(answer: Answer) -> dict[str, Any]:
    value = json.dumps({"e": answer.entry_id or "", "s": answer.status})[:BUTTON_VALUE_LIMIT]
    return {
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {"type": "button", "action_id": ACTION_FEEDBACK_UP, "text": _plain("👍 Helpful", 75), "value": value},
            {"type": "button", "action_id": ACTION_FEEDBACK_DOWN, "text": _plain("👎 Not right", 75), "value": value},
        ],
    }


def _inert(question: str) -> str:
    """A question safe to carry in a button value: Slack markup removed, angle brackets escaped."""
    return escape(strip_slack_markup(question))[:1000]


def share_value(question: str, answer: Answer) -> str:
    """What the Share button carries: the entry id (or the question, for computed answers)."""
    payload = {"e": answer.entry_id or "", "q": _inert(question)}
    return json.dumps(payload)[:BUTTON_VALUE_LIMIT]


def render_answer(
    answer: Answer,
    *,
    contact: str,
    share: bool = False,
    shared_by: str | None = None,
) -> Message:
    """Blocks and fallback text for one Answer."""
    blocks: list[dict[str, Any]] = []
    if shared_by is not None:
        blocks += _section(f"<@{shared_by}> shared an answer to: _{escape(answer.question[:ECHO_LIMIT])}_")
    if answer.status == "answered" and answer.answer:
        blocks += _section(escape(answer.answer))
        caveats = [CAVEATS[d] for d in answer.depends_on if d in CAVEATS]
        if caveats:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "⚠️ " + " ".join(caveats)}]})
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": sources_line(answer.sources, answer.reviewed)}]}
        )
        fallback = _fallback_answer(answer)
    elif answer.status == "suggest" and answer.alternatives:
        intro = escape(answer.answer) + "\n" if answer.answer else ""
        blocks += _section(intro + "I'm not sure which question you mean. *Did you mean:*")
        blocks.append(
            {
                "type": "actions",
                "block_id": "did_you_mean",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{ACTION_CHOOSE}_{i}",
                        "text": _plain(alt.question, BUTTON_TEXT_LIMIT),
                        "value": json.dumps({"e": alt.entry_id, "q": _inert(answer.question)})[:BUTTON_VALUE_LIMIT],
                    }
                    for i, alt in enumerate(answer.alternatives[:3])
                ],
            }
        )
        fallback = "Did you mean: " + " / ".join(a.question for a in answer.alternatives[:3])
    else:
        text = ((escape(answer.answer) + "\n") if answer.answer else "") + no_match_text(contact)
        blocks += _section(text)
        fallback = text
    if answer.status != "suggest" and shared_by is None:
        actions = _feedback(answer)
        if share and answer.status == "answered":
            actions["elements"].insert(
                0,
                {
                    "type": "button",
                    "action_id": ACTION_SHARE,
                    "text": _plain("Share in channel", 75),
                    "style": "primary",
                    "value": share_value(answer.question, answer),
                },
            )
        blocks.append(actions)
    return Message(text=_limit_text(fallback), blocks=blocks[:MAX_BLOCKS])


def no_match_text(contact: str) -> str:
    return (
        "I don't know that one: it is outside the billing and coding knowledge I have, so I won't guess. "
        f"Please ask {escape(contact)}. Type `/billing help` to see what I can answer."
    )


def _fallback_answer(answer: Answer) -> str:
    srcs = "; ".join(f"{s.title} {s.url}".strip() for s in answer.sources[:3])
    reviewed = f" (reviewed {answer.reviewed.isoformat()})" if answer.reviewed else ""
    return f"{escape(answer.answer or '')}\nSources: {escape(srcs)}{reviewed}"


def _limit_text(text: str, limit: int = 3900) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_help(topics: Iterable[str], entry_count: int, last_reviewed: Any) -> Message:
    topic_list = ", ".join(t.replace("_", " ") for t in topics)
    examples = "\n".join(f"• {escape(q)}" for q in EXAMPLES)
    lookups = "\n".join(f"• `/billing {cmd}`: {what}" for cmd, what in LOOKUPS)
    reviewed = f", last reviewed {last_reviewed.isoformat()}" if last_reviewed else ""
    text = (
        "*I answer billing and coding questions for outpatient PT, OT and SLP*, with the source and the date each "
        f"answer was reviewed. I know {entry_count} answers{reviewed}, on: {escape(topic_list)}.\n\n"
        f"*Ask me like this* (mention me, DM me, or use `/billing`):\n{examples}\n\n*Quick lookups:*\n{lookups}\n\n"
        "I don't give clinical advice, and when I don't know, I say so."
    )
    return Message(text=_limit_text(text), blocks=_section(text)[:MAX_BLOCKS])


def render_home(
    topics: dict[str, str],
    counts: dict[str, int],
    entry_count: int,
    last_reviewed: Any,
    admin_lines: Sequence[str] = (),
) -> dict[str, Any]:
    """The App Home tab view."""
    reviewed = last_reviewed.isoformat() if last_reviewed else "unknown"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain("Billing Bot", 150)},
        *_section(
            f"Answers to outpatient rehab billing and coding questions, with sources. *{entry_count} answers*, "
            f"knowledge last reviewed *{reviewed}*."
        ),
        {"type": "divider"},
        *_section(
            "*Topics*\n"
            + "\n".join(f"• {escape(title)} ({counts.get(t, 0)})" for t, title in sorted(topics.items()))[:2900]
        ),
        {"type": "divider"},
        *_section("*Try asking*\n" + "\n".join(f"• {escape(q)}" for q in EXAMPLES)),
        *_section("*Quick lookups*\n" + "\n".join(f"• `/billing {c}`: {w}" for c, w in LOOKUPS)),
    ]
    if admin_lines:
        blocks += [{"type": "divider"}, *_section("*For admins*\n" + "\n".join(admin_lines))]
    return {"type": "home", "blocks": blocks[:100]}
