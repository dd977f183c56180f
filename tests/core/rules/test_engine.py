"""The questions the rules must answer, as staff type them, through the full answerer."""

from __future__ import annotations

import re

import pytest

from bot.core.evaluation import item_satisfied


def answered(answerer, question):
    answer = answerer.ask(question)
    assert answer.status == "answered", (question, answer)
    assert answer.sources and answer.reviewed, question
    return answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("units for 38 min total timed", "3 units"),
        ("10 min ther ex + 10 min manual medicare units", "1 unit"),
        ("52 min total timed tx today for a MCR pt, how many units?", "3 units"),
        ("ther ex 17 + gait 9 min, how many units for medicare", "2 units"),
        ("33 min 97110 plus 7 min 97140 - can the 7 min be billed?", "3 units"),
        ("G0283 (12 min) + 97110 for 30 min, total units?", "2 units"),
        ("5 min ultrasound + 5 min manual, can i bill anything", "1 unit"),
        ("6 min of 97110 only, how many units", "0 units"),
    ],
)
def test_timed_units(answerer, question, expected):
    answer = answered(answerer, question)
    assert answer.entry_id == "rule:units"
    assert re.search(r"Medicare \(8-minute rule\): " + expected.split()[0] + r" unit", answer.answer), answer.answer


def test_untimed_eval_is_kept_out_of_the_count(answerer):
    answer = answered(answerer, "did a 97162 (45 min) then 20 min of ther ex - how many timed units")
    assert "1 unit" in answer.answer and "untimed" in answer.answer


def test_commercial_payer_gets_midpoint_and_depends(answerer):
    answer = answered(answerer, "cigna pt: 20 min 97110 + 6 min 97140, do we bill the 97140")
    assert "depends on the payer" in answer.answer and "midpoint" in answer.answer
    assert "payer" in answer.depends_on


@pytest.mark.parametrize(
    ("question", "must"),
    [
        ("can PTs dry needle in NY", "not permitted"),
        ("DN legal in oregon?", "not permitted"),
        ("seattle clinic, can our PT dry needle?", "endorsement"),
        ("FL PT licensed 18 months wants to start DN", "2 years | two years"),
        ("can our PTs in michigan do DN?", "unclear"),
    ],
)
def test_state_dry_needling(answerer, question, must):
    answer = answered(answerer, question)
    assert answer.entry_id == "rule:state"
    assert item_satisfied(must, answer.answer), answer.answer
    assert "confirm with your state board" in answer.answer


def test_code_lookup_is_530_timed(answerer):
    answer = answered(answerer, "is 97530 timed")
    assert "97530" in answer.answer and "timed" in answer.answer


def test_modifier_lookup(answerer):
    answer = answered(answerer, "what does KX mean")
    assert "KX" in answer.answer


def test_pair_lookup_says_quarterly(answerer):
    answer = answered(answerer, "97140 and 97530 same day?")
    assert "97140" in answer.answer and "97530" in answer.answer and "quarter" in answer.answer


def test_abn_option_1_not_necessary_is_ga(answerer):
    answer = answered(answerer, "ABN option 1 modifier for a service medicare will deny as not medically necessary")
    assert item_satisfied("GA", answer.answer)


def test_abn_medicare_advantage(answerer):
    answer = answered(answerer, "medicare advantage pt signed an abn option 1, which modifier?")
    assert "Original Medicare" in answer.answer


@pytest.mark.parametrize(
    ("kind", "args", "must"),
    [
        ("code", "97763", "97763"),
        ("mod", "KX", "KX"),
        ("units", "97110:23 97140:10", "2 units"),
        ("pair", "97140 97530", "97530"),
        ("state", "NY", "New York"),
    ],
)
def test_slash_lookups(answerer, kind, args, must):
    answer = answerer.lookup(kind, args)
    assert answer.status == "answered" and must in answer.answer


def test_lookup_of_unknown_code_suggests_nearest(answerer):
    answer = answerer.lookup("code", "97111")
    assert answer.status == "suggest" and "not in our code table" in answer.answer
    assert answer.alternatives
