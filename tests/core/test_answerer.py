from __future__ import annotations

import json

import pytest

from bot.core.evaluation import Report, evaluate, item_satisfied, load_cases
from tests.conftest import DEV_SET


def test_abn_option_1_names_ga_with_a_source(answerer):
    answer = answerer.ask("Medicare ABN option 1 code?")
    assert answer.status == "answered"
    assert item_satisfied("GA", answer.answer)
    assert answer.sources and answer.sources[0].url.startswith("http")
    assert answer.reviewed is not None


def test_dry_needling_codes_current(answerer):
    answer = answerer.ask("what cpt for dry needling 2 muscles")
    assert answer.status == "answered" and "20560" in answer.answer


def test_json_contract(answerer):
    data = json.loads(json.dumps(answerer.ask("can PTs dry needle in NY").to_dict()))
    assert set(data) == {
        "question",
        "status",
        "answer",
        "sources",
        "confidence",
        "entry_id",
        "reviewed",
        "alternatives",
    }
    assert data["status"] == "answered"
    assert {"title", "publisher", "url", "date"} <= set(data["sources"][0])


def test_item_matching_rules():
    assert item_satisfied("GA", "use GA here")
    assert not item_satisfied("GA", "it is legal")
    assert not item_satisfied("CO", "the code")
    assert item_satisfied("not timed | untimed", "This code is UNTIMED.")
    assert item_satisfied("2,330 | 2330", "threshold was $2,330 in 2024")


@pytest.mark.skipif(not DEV_SET.exists(), reason=f"shared dev set not found at {DEV_SET} (../shared is absent)")
def test_dev_set_meets_the_bar(answerer):
    report: Report = evaluate(answerer, load_cases(DEV_SET))
    right, declined = Report.pct(report.answered_right), Report.pct(report.declined)
    misses = [o.case.q for o in report.outcomes if not o.right]
    assert right >= 90.0, (report.summary(), misses)
    assert declined >= 95.0, (report.summary(), misses)
