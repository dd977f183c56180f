from __future__ import annotations

import pytest

from bot.core.text import Synonyms, analyze, extract_codes, extract_minutes, extract_modifiers, stem, strip_slack_markup

SYN = Synonyms(
    {
        "dn": "dry needling",
        "mcr": "medicare",
        "e stim": "electrical stimulation",
        "seattle": "washington",
        "mod": "modifier",
    }
)


def test_normalization_lowercases_strips_punctuation_and_expands_synonyms():
    a = analyze("Can PTs do DN for MCR pts?!", SYN)
    assert a.text == "can pts do dry needling for medicare pts"
    assert "dry" in a.tokens and "needl" in a.tokens and "medicare" in a.tokens


def test_multiword_synonym_and_whole_word_only():
    assert analyze("e stim 15 min", SYN).text.startswith("electrical stimulation")
    assert "dry needling" not in analyze("dnr order", SYN).text


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("can I bill 97110 with 97140", ("97110", "97140")),
        ("G0283 vs 97014?", ("G0283", "97014")),
        ("97140x2 on the claim", ("97140",)),
        ("97161-97163 evals", ("97161", "97162", "97163")),
        ("paid $2,330 in 2024", ()),
        ("call 555-1234", ()),
    ],
)
def test_code_extraction(text, codes):
    assert extract_codes(text) == codes


@pytest.mark.parametrize(
    ("text", "mods"),
    [
        ("GP or GO for OT?", ("GP", "GO")),
        ("what does KX mean", ("KX",)),
        ("59 vs XS", ("59", "XS")),
        ("97140-59 denied", ("59",)),
        ("ga modifier for abn", ("GA",)),
        ("go to the front desk", ()),
        ("CO-50 denial", ()),
        ("with group code CO, don't bill the patient", ()),
        ("CO (contractual obligation) means the provider is liable", ()),
        ("CQ/CO on assistant visits", ("CQ", "CO")),
        ("59 min of ther ex", ()),
    ],
)
def test_modifier_extraction(text, mods):
    assert extract_modifiers(text) == mods


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("can PTs dry needle in NY", ("NY",)),
        ("DN legal in oregon?", ("OR",)),
        ("seattle clinic wants DN", ("WA",)),
        ("allowed in CO? training", ("CO",)),
        ("CO modifier for OTA", ()),
        ("GA modifier", ()),
        ("new hire from colorado, san diego clinic", ("CO",)),
        ("is it legal in washington dc", ("DC",)),
    ],
)
def test_state_extraction(text, states):
    assert analyze(text, SYN).states == states


def test_payers_and_medicare_advantage_wins_over_medicare():
    assert analyze("aetna commercial plan", SYN).payers == ("commercial",)
    assert analyze("medicare advantage plan", SYN).payers == ("medicare_advantage",)
    assert analyze("work comp pt in ohio", SYN).payers == ("workers_comp",)


def test_minutes_skip_rule_names_and_code_lengths():
    assert extract_minutes("38 min 97110 + 15 mins 97140") == (38, 15)
    assert extract_minutes("follow the 8-minute rule for a 15 min code") == ()


def test_slack_markup_is_neutralized():
    cleaned = strip_slack_markup("<!channel> <@U123> see <https://cms.gov|CMS> &lt;b&gt;")
    assert "<!channel>" not in cleaned and "U123" not in cleaned and "CMS" in cleaned


def test_stemming_joins_plural_and_tense():
    assert stem("units") == stem("unit") == "unit"
    assert stem("modifiers") == "modifier"
    assert stem("billed") == stem("billing") == "bill"


def test_huge_and_control_input_is_bounded():
    a = analyze("97110 " + "\x00\u202e\u200b" * 10000 + "x" * 100000, SYN)
    assert len(a.original) <= 2000 and a.codes == ("97110",)
