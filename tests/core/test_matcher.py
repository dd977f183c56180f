from __future__ import annotations

import pytest

from bot.core.answerer import Answerer
from bot.core.knowledge import load_knowledge


@pytest.fixture
def mini(knowledge_tree) -> Answerer:
    return Answerer(load_knowledge(knowledge_tree()))


def test_97110_never_answers_a_97112_question(mini):
    answer = mini.ask("is 97112 timed")
    assert answer.status == "answered" and answer.entry_id == "neuro-reed-timed"
    answer = mini.ask("is 97110 timed")
    assert answer.entry_id == "therex-timed"


def test_code_disagreement_demotes_even_with_identical_words(mini):
    ranked = mini.matcher.rank(
        __import__("bot.core.text", fromlist=["analyze"]).analyze("is 97112 timed", mini.kb.synonyms)
    )
    scores = {m.entry_id: m.score for m in ranked}
    assert scores["neuro-reed-timed"] > 2 * scores.get("therex-timed", 0)


def test_typos_and_abbreviations(mini):
    answer = mini.ask("medcare abn opt 1 modifer??")
    assert answer.status == "answered" and answer.entry_id == "abn-option-1-modifier"


def test_shipped_97110_vs_97112_trap(answerer):
    a = answerer.ask("can I bill 97110 and 97112 on the same day")
    b = answerer.ask("can I bill 97110 and 97140 on the same day")
    for ans in (a, b):
        assert ans.status in ("answered", "suggest", "no_match")
        if ans.status == "answered" and ans.answer:
            assert "97110" in ans.answer or ans.entry_id.startswith("rule:")


@pytest.mark.parametrize(
    "question",
    [
        "what's the wifi password",
        "best stretches for low back pain",
        "can you reschedule my 3pm",
        "is it going to snow tomorrow",
        "does cupping actually work for neck pain? any research",
        "how deep can I needle the upper trap safely",
    ],
)
def test_out_of_scope_is_declined(answerer, question):
    assert answerer.ask(question).status == "no_match"


def test_suggest_offers_up_to_three_distinct_entries(answerer):
    answer = answerer.ask("modifier")
    assert answer.status in ("suggest", "no_match", "answered")
    ids = [a.entry_id for a in answer.alternatives]
    assert len(ids) == len(set(ids)) <= 3


def test_empty_and_punctuation_only_questions(answerer):
    assert answerer.ask("").status == "no_match"
    assert answerer.ask("?!?").status == "no_match"


def test_shipped_knowledge_uses_the_learned_classifier(answerer):
    assert answerer.matcher.learned is not None
    assert answerer.matcher.learned.n_classes == len(answerer.matcher.classes)


def test_without_the_learned_classifier_tfidf_still_answers(knowledge_tree, monkeypatch):
    from bot.core import learned

    monkeypatch.setattr(learned, "MAX_CELLS", 1)
    mini = Answerer(load_knowledge(knowledge_tree()))
    assert mini.matcher.learned is None
    answer = mini.ask("is 97112 timed")
    assert answer.status == "answered" and answer.entry_id == "neuro-reed-timed"
