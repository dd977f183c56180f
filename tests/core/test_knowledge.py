from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.knowledge import MAX_ANSWER_CHARS, KnowledgeError, check_knowledge, load_knowledge
from tests.conftest import MINI_FAQ, MINI_SOURCES


def errors(directory: Path) -> list[str]:
    return [p.format() for p in check_knowledge(directory) if p.severity == "error"]


def test_shipped_knowledge_loads_without_errors(kb):
    assert len(kb.entries) >= 60
    assert not [p for p in check_knowledge(kb.directory) if p.severity == "error"]


def test_every_shipped_entry_has_three_phrasings_a_dated_source_and_reviewed(kb):
    for entry in kb.entries:
        assert len(entry.phrasings) >= 3, entry.id
        assert entry.reviewed is not None
        assert all(s.url.startswith("http") for s in entry.sources), entry.id
    undated = sorted(e.id for e in kb.entries if not any(s.date and s.url for s in e.sources))
    assert not undated, undated


def test_minimal_tree_is_valid(knowledge_tree):
    kb = load_knowledge(knowledge_tree())
    assert [e.id for e in kb.entries] == ["abn-option-1-modifier", "therex-timed", "neuro-reed-timed"]


def test_yaml_syntax_error_reports_file_and_line(knowledge_tree):
    root = knowledge_tree(faq__broken="topic: broken\nentries:\n  - id: x\n    question: [unclosed\n")
    found = errors(root)
    assert any(e.startswith("knowledge/faq/broken.yaml:") and "YAML syntax error" in e for e in found), found


def test_missing_field_names_entry_and_line(knowledge_tree):
    root = knowledge_tree(
        faq__abn=MINI_FAQ.replace('    answer: "*GA* with the therapy modifier; bill Medicare."\n', "")
    )
    found = errors(root)
    assert "knowledge/faq/abn.yaml:4: error [abn-option-1-modifier]: missing or non-text 'answer'" in found


def test_wrong_type_is_reported(knowledge_tree):
    root = knowledge_tree(
        faq__abn=MINI_FAQ.replace("      - medicare abn option 1 code\n", "", 1).replace(
            "    phrasings:\n      - pt checked", "    phrasings: 7\n    x_phrasings:\n      - pt checked", 1
        )
    )
    found = errors(root)
    assert any("'phrasings' must be a list of text" in e for e in found), found
    assert any("unknown field 'x_phrasings'" in e for e in found), found


def test_duplicate_ids_reported_with_first_location(knowledge_tree):
    dup = MINI_FAQ.replace("topic: abn", "topic: dup").replace(
        "phrasings:", "phrasings:\n      - entirely new words here"
    )
    dup = dup.replace("id: therex-timed", "id: other-one").replace("id: neuro-reed-timed", "id: other-two")
    root = knowledge_tree(faq__dup=dup)
    found = errors(root)
    assert any("[abn-option-1-modifier]: duplicate id (first at knowledge/faq/abn.yaml:4)" in e for e in found), found


def test_unknown_source_id(knowledge_tree):
    root = knowledge_tree(faq__abn=MINI_FAQ.replace("sources: [noridian-ga]", "sources: [made-up-source]"))
    assert (
        "knowledge/faq/abn.yaml:4: error [abn-option-1-modifier]: source 'made-up-source' is not in sources.yaml"
        in (errors(root))
    )


def test_near_identical_phrasing_across_entries(knowledge_tree):
    root = knowledge_tree(faq__abn=MINI_FAQ.replace("      - is 97112 timed\n", "      - is 97110 timed?\n"))
    found = errors(root)
    assert any("[neuro-reed-timed]" in e and "nearly) identical" in e and "therex-timed" in e for e in found), found


def test_answer_over_limit(knowledge_tree):
    long_answer = "x" * (MAX_ANSWER_CHARS + 1)
    root = knowledge_tree(faq__abn=MINI_FAQ.replace('"Yes, 97110 is billed per 15 minutes."', long_answer))
    assert any("[therex-timed]: answer is 1201 characters" in e for e in errors(root))


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2026/11/01"])
def test_bad_dates(knowledge_tree, bad):
    root = knowledge_tree(faq__abn=MINI_FAQ.replace("reviewed: 2026-11-01", f"reviewed: {bad}", 1))
    assert any("[abn-option-1-modifier]: 'reviewed' is not a valid date" in e for e in errors(root))


def test_source_date_must_be_valid(knowledge_tree):
    root = knowledge_tree(sources=MINI_SOURCES.replace("date: 2022-09-27", "date: someday"))
    assert any("[noridian-ga]: date is not valid" in e for e in errors(root))


@pytest.mark.parametrize(("written", "shown"), [("2022-09", "2022-09"), ("2022", "2022"), ("2022-09-27", "2022-09-27")])
def test_source_date_keeps_the_precision_the_source_shows(knowledge_tree, written, shown):
    root = knowledge_tree(sources=MINI_SOURCES.replace("date: 2022-09-27", f"date: '{written}'"))
    source = load_knowledge(root).sources["noridian-ga"]
    assert source.when == shown  # what staff see in Slack and the terminal
    assert source.date is not None and source.date.year == 2022
    assert len(source.to_dict()["date"]) == 10  # the JSON contract stays YYYY-MM-DD


@pytest.mark.parametrize("bad", ["2022-13", "Sept 2022", "22"])
def test_partial_source_dates_must_still_be_real(knowledge_tree, bad):
    root = knowledge_tree(sources=MINI_SOURCES.replace("date: 2022-09-27", f"date: '{bad}'"))
    assert any("[noridian-ga]: date is not valid" in e for e in errors(root))


def test_undated_source_warning_points_at_its_line(knowledge_tree):
    root = knowledge_tree(sources=MINI_SOURCES.replace("    date: 2022-09-27\n", ""))
    warnings = [p.format() for p in check_knowledge(root) if p.severity == "warning"]
    assert any(w.endswith("sources.yaml:8: warning [noridian-ga]: source has no date") for w in warnings), warnings


def test_all_problems_reported_at_once(knowledge_tree):
    broken = MINI_FAQ.replace("sources: [noridian-ga]", "sources: [nope]").replace(
        "reviewed: 2026-11-01", "reviewed: x", 1
    )
    root = knowledge_tree(faq__abn=broken, faq__other="topic: [")
    found = errors(root)
    assert len(found) >= 3


def test_load_raises_with_problem_list(knowledge_tree):
    root = knowledge_tree(faq__abn=MINI_FAQ.replace("sources: [noridian-ga]", "sources: [nope]"))
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(root)
    assert info.value.problems[0].entry_id == "abn-option-1-modifier"


def test_stale_review_is_a_warning_not_an_error(knowledge_tree):
    from datetime import date

    root = knowledge_tree(faq__abn=MINI_FAQ.replace("reviewed: 2026-11-01", "reviewed: 2024-01-01", 1))
    problems = check_knowledge(root, today=date(2026, 11, 25))
    stale = [p for p in problems if "more than 365 days ago" in p.message]
    assert stale and stale[0].severity == "warning" and stale[0].entry_id == "abn-option-1-modifier"
    assert not [p for p in problems if p.severity == "error"]


def test_answer_mentioning_unlisted_code_is_flagged(knowledge_tree):
    root = knowledge_tree(
        faq__abn=MINI_FAQ.replace(
            '"Yes, 97110 is billed per 15 minutes."', '"Yes, 97110 is billed per 15 minutes, unlike 97150."'
        )
    )
    warnings = [p.format() for p in check_knowledge(root) if p.severity == "warning"]
    assert any("[therex-timed]: answer mentions 97150" in w for w in warnings), warnings


def test_states_table_must_list_every_state(knowledge_tree):
    table = """\
    states:
      - state: NY
        name: New York
        status: not_permitted
        summary: Not in scope.
        as_of: 2026-01-01
        sources: [cms-mcpm-ch5]
        reviewed: 2026-11-01
      - state: NY
        name: New York
        status: maybe
        summary: again
        as_of: 2026-01-01
        sources: [cms-mcpm-ch5]
        reviewed: 2026-11-01
    """
    found = errors(knowledge_tree(rules__dry_needling_states=table))
    assert any("state NY is listed more than once" in e for e in found), found
    assert any("status must be one of" in e for e in found), found
    assert any("states missing from the table: AK, AL" in e for e in found), found


def test_codes_table_requires_timed_flag_and_wellformed_code(knowledge_tree):
    table = """\
    codes:
      - code: "9711"
        name: Ther ex
        descriptor: Exercise.
        timed: true
        sources: [cms-mcpm-ch5]
        reviewed: 2026-11-01
      - code: "97112"
        name: Neuro re-ed
        descriptor: Balance.
        sources: [cms-mcpm-ch5]
        reviewed: 2026-11-01
    """
    found = errors(knowledge_tree(rules__codes=table))
    assert any("'9711' is not a well-formed CPT/HCPCS code" in e for e in found), found
    assert any("[97112]: field 'timed' must be true or false" in e for e in found), found


def test_entries_sharing_a_tag_with_different_figures_are_flagged(knowledge_tree):
    faq = MINI_FAQ.replace(
        "    reviewed: 2026-11-01\n  - id: therex-timed",
        "    tags: [kx-amount]\n    reviewed: 2026-11-01\n  - id: therex-timed",
        1,
    )
    faq = faq.replace('"*GA* with the therapy modifier; bill Medicare."', '"The 2024 threshold is $2,330."')
    faq = faq.replace('"Yes, 97110 is billed per 15 minutes."', '"The 2024 threshold is $3,000."')
    faq = faq.replace('    codes: ["97110"]\n', '    codes: ["97110"]\n    tags: [kx-amount]\n')
    problems = check_knowledge(knowledge_tree(faq__abn=faq))
    flagged = [p for p in problems if "possible conflict" in p.message]
    assert flagged and flagged[0].severity == "warning" and "$2330" in flagged[0].message


def test_uncited_source_is_reported_at_its_line(knowledge_tree):
    spare = "  apta-spare:\n    title: Spare page\n    publisher: APTA\n"
    spare += "    url: https://www.apta.org/spare\n    date: 2024-01-02\n"
    root = knowledge_tree(sources=MINI_SOURCES + spare)
    warnings = [p.format() for p in check_knowledge(root) if p.severity == "warning"]
    expected = "sources.yaml:13: warning [apta-spare]: source is cited by no entry or rule table: cite it or remove it"
    assert any(w.endswith(expected) for w in warnings), warnings
    assert not [w for w in warnings if "cited by no entry" in w and "[apta-spare]" not in w], warnings


def test_two_source_ids_for_one_page_are_reported(knowledge_tree):
    twin = "  noridian-ga-copy:\n    title: GA modifier page\n    publisher: Noridian\n"
    twin += "    url: https://med.noridianmedicare.com/web/jeb/topics/modifiers/ga/\n    date: 2022-09-27\n"
    root = knowledge_tree(sources=MINI_SOURCES + twin)
    warnings = [p.format() for p in check_knowledge(root) if p.severity == "warning"]
    assert any("[noridian-ga-copy]: same url as source 'noridian-ga' (line 8)" in w for w in warnings), warnings


def test_a_section_of_a_document_may_share_its_url(knowledge_tree):
    section = "  cms-mcpm-ch5-s20-2:\n    title: Medicare Claims Processing Manual, Chapter 5, section 20.2\n"
    section += "    publisher: CMS\n    url: https://www.cms.gov/regulations-and-guidance/guidance/manuals/downloads/clm104c05.pdf\n"
    section += "    date: 2023-03-16\n"
    root = knowledge_tree(sources=MINI_SOURCES + section)
    assert not [p for p in check_knowledge(root) if "same url" in p.message]
