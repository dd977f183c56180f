from __future__ import annotations

import json
from datetime import date

from bot.core.models import Alternative, Answer, Source
from bot.slack.render import MAX_BLOCKS, SECTION_LIMIT, escape, render_answer, render_help

SRC = Source("s", "Manual <ch. 5> & more", "CMS", "https://cms.gov/x|y>z", date(2024, 1, 2))


def answer(**kw) -> Answer:
    base = {
        "question": "q",
        "status": "answered",
        "answer": "Use *GA*.",
        "sources": (SRC,),
        "entry_id": "e",
        "reviewed": date(2026, 11, 25),
    }
    base.update(kw)
    return Answer(**base)


def test_escape_only_three_characters():
    assert escape("<!channel> & <@U1> *bold*") == "&lt;!channel&gt; &amp; &lt;@U1&gt; *bold*"


def test_answer_has_text_sources_reviewed_and_feedback():
    msg = render_answer(answer(), contact="Dana")
    dump = json.dumps(msg.blocks)
    assert "Use *GA*." in dump
    assert "<https://cms.gov/x%7Cy%3Ez|Manual &lt;ch. 5&gt; &amp; more> (CMS, 2024-01-02)" in dump
    assert "Reviewed 2026-11-25" in dump and "feedback_up" in dump
    assert "GA" in msg.text


def test_depends_caveat_visible():
    dump = json.dumps(render_answer(answer(depends_on=("payer", "state")), contact="x").blocks)
    assert "Depends on the payer" in dump and "Depends on the state" in dump


def test_long_answer_split_into_sections_within_limits():
    msg = render_answer(answer(answer=("line of text " * 40 + "\n") * 60), contact="x")
    sections = [b for b in msg.blocks if b["type"] == "section"]
    assert len(sections) > 1 and all(len(b["text"]["text"]) <= SECTION_LIMIT for b in sections)
    assert len(msg.blocks) <= MAX_BLOCKS


def test_suggest_renders_up_to_three_buttons():
    alts = tuple(Alternative(f"e{i}", f"Question {i} " + "x" * 100, 0.3) for i in range(5))
    msg = render_answer(Answer(question="q", status="suggest", alternatives=alts), contact="x")
    buttons = [e for b in msg.blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(buttons) == 3 and all(len(b["text"]["text"]) <= 75 for b in buttons)


def test_no_match_names_contact_and_never_guesses():
    msg = render_answer(Answer(question="wifi?", status="no_match"), contact="Dana <ext 204>")
    assert "I don't know that one" in msg.text and "Dana &lt;ext 204&gt;" in msg.text


def test_user_question_echo_is_escaped_when_shared():
    msg = render_answer(answer(question="<!channel> <@U9> help"), contact="x", shared_by="U123")
    dump = json.dumps(msg.blocks)
    assert "<!channel>" not in dump and "<@U9>" not in dump and "<@U123> shared" in dump


def test_help_lists_lookups_and_examples():
    msg = render_help(["abn", "dry_needling"], 120, date(2026, 11, 25))
    assert "/billing units 97110:23 97140:10" in msg.text and "120 answers" in msg.text
