"""Normalization, synonym expansion and entity extraction.

Everything the matcher and the rules see goes through `analyze`, so a question and an indexed phrasing are
normalized the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

MAX_QUESTION_CHARS = 2000

STATES: dict[str, str] = {
    "AL": "alabama", "AK": "alaska", "AZ": "arizona", "AR": "arkansas", "CA": "california", "CO": "colorado",
    "CT": "connecticut", "DE": "delaware", "DC": "district of columbia", "FL": "florida", "GA": "georgia",
    "HI": "hawaii", "ID": "idaho", "IL": "illinois", "IN": "indiana", "IA": "iowa", "KS": "kansas",
    "KY": "kentucky", "LA": "louisiana", "ME": "maine", "MD": "maryland", "MA": "massachusetts",
    "MI": "michigan", "MN": "minnesota", "MS": "mississippi", "MO": "missouri", "MT": "montana",
    "NE": "nebraska", "NV": "nevada", "NH": "new hampshire", "NJ": "new jersey", "NM": "new mexico",
    "NY": "new york", "NC": "north carolina", "ND": "north dakota", "OH": "ohio", "OK": "oklahoma",
    "OR": "oregon", "PA": "pennsylvania", "RI": "rhode island", "SC": "south carolina", "SD": "south dakota",
    "TN": "tennessee", "TX": "texas", "UT": "utah", "VT": "vermont", "VA": "virginia", "WA": "washington",
    "WV": "west virginia", "WI": "wisconsin", "WY": "wyoming",
}  # fmt: skip
STATE_BY_NAME = {name: code for code, name in STATES.items()}
STATE_BY_NAME["washington dc"] = "DC"
STATE_BY_NAME["washington d c"] = "DC"
# Postal codes that are also billing words (GA modifier, CO modifier, MA = Medicare Advantage, MD = doctor,
# PA = physician assistant, OR/IN/ME/OK/HI = English words). They count only next to state context.
AMBIGUOUS_POSTAL = {"GA", "CO", "MA", "MD", "PA", "OR", "IN", "ME", "OK", "HI", "DE", "LA", "ID", "AL", "MS", "MT"}

MODIFIERS = {
    "GP",
    "GO",
    "GN",
    "KX",
    "CQ",
    "CO",
    "GA",
    "GX",
    "GY",
    "GZ",
    "XE",
    "XS",
    "XP",
    "XU",
    "GT",
    "59",
    "76",
    "77",
    "95",
    "96",
    "97",
    "25",
    "KS",
}
NUMERIC_MODIFIERS = {"59", "76", "77", "95", "96", "97", "25"}
# Letter modifiers that are also ordinary words or states; lower-case forms are taken only next to "modifier".
WORDLIKE_MODIFIERS = {"GO", "CO", "GA"}

PAYER_WORDS: dict[str, str] = {
    "medicare advantage": "medicare_advantage", "advantage plan": "medicare_advantage",
    "medicare replacement": "medicare_advantage", "part c": "medicare_advantage",
    "medicare": "medicare", "original medicare": "medicare", "part b": "medicare",
    "medicaid": "medicaid", "medi cal": "medicaid", "medi-cal": "medicaid",
    "workers comp": "workers_comp", "workers compensation": "workers_comp", "work comp": "workers_comp",
    "workmans comp": "workers_comp", "l&i": "workers_comp",
    "commercial": "commercial", "uhc": "commercial", "united healthcare": "commercial", "unitedhealthcare": "commercial",
    "aetna": "commercial", "cigna": "commercial", "anthem": "commercial", "bcbs": "commercial",
    "blue cross": "commercial", "blue shield": "commercial", "humana": "commercial", "tricare": "tricare",
    "private insurance": "commercial", "optum": "commercial", "kaiser": "commercial",
    "harvard pilgrim": "commercial", "tufts": "commercial", "molina": "medicaid", "ambetter": "commercial",
    "highmark": "commercial", "premera": "commercial", "regence": "commercial", "carefirst": "commercial",
    "horizon": "commercial", "emblem": "commercial", "emblemhealth": "commercial", "oscar": "commercial",
    "wellcare": "medicare_advantage", "amerigroup": "medicaid", "caresource": "medicaid", "geisinger": "commercial",
    "priority health": "commercial", "medica": "commercial", "healthpartners": "commercial", "wellmark": "commercial",
    "excellus": "commercial", "independence blue cross": "commercial", "florida blue": "commercial",
    "triple-s": "commercial", "ucare": "commercial", "centene": "medicaid", "health net": "commercial",
}  # fmt: skip

_CODE_RE = re.compile(r"(?<![\w$.,])(\d{4}[0-9TF]|[A-V]\d{4})(?![0-9A-WYZa-wyz]|[.,]\d)", re.IGNORECASE)
_CODE_RANGE_RE = re.compile(r"\b(\d{5})\s*(?:-|–|to|through|thru)\s*(\d{5})\b")
_MINUTES_RE = re.compile(
    r"(?<![\w.])(\d{1,3})\s*(?:-\s*)?(?:min(?:ute)?s?\b|mins?\b|m\b|')(?!\s*(?:-\s*)?(?:rule|code|unit|units|increment|block|blocks|of each))",
    re.IGNORECASE,
)
_MODIFIER_CONTEXT_RE = re.compile(r"\b(?:mod|mods|modifier|modifiers|modifer|modifers|modifyer)\b", re.IGNORECASE)
# "CO" as the remittance group code (CO-50, "CO (contractual obligation)", "group code CO"), not the OTA modifier
_GROUP_CODE_CO_AFTER_RE = re.compile(r"\s*-\s*\d|\s*\(contractual", re.IGNORECASE)
_GROUP_CODE_CO_BEFORE_RE = re.compile(r"group\s+codes?\s*$", re.IGNORECASE)
_WORD_RE = re.compile(r"[a-z0-9$]+(?:[.'][a-z0-9]+)*")

STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been being it its this that these
    those there here we our us you your i me my he she her his they them their do does did doing done have has had
    can could would should will shall may might must just so too very really also any some all what which who whom
    whose when where why how about into over under again then than once only own same such no nor not don t s ll re
    ve d m o y am get got go going gonna wanna hey hi hello thanks thank pls please plz q quick question ok okay
    yes yeah anyone someone somebody know tell let need want wants still ever right vs versus etc like
    """.split()
)
# Words that decide the meaning of a billing question; never dropped as stopwords.
KEEP_WORDS = frozenset({"not", "no", "can", "cannot", "without", "before", "after", "same", "both", "who", "when"})


@dataclass(frozen=True)
class Analysis:
    """A question after normalization, with the entities found in it."""

    original: str
    text: str
    tokens: tuple[str, ...]
    codes: tuple[str, ...]
    modifiers: tuple[str, ...]
    states: tuple[str, ...]
    payers: tuple[str, ...]
    minutes: tuple[int, ...]


class Synonyms:
    """Whole-word, case-insensitive replacement of staff vocabulary by the canonical words the entries use."""

    def __init__(self, mapping: Mapping[str, str]):
        self.mapping = {self._key(k): v.lower() for k, v in mapping.items() if self._key(k)}
        if self.mapping:
            alternatives = sorted(self.mapping, key=len, reverse=True)
            self._re: re.Pattern[str] | None = re.compile(
                r"(?<![\w])(" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w])"
            )
        else:
            self._re = None

    @staticmethod
    def _key(key: str) -> str:
        return " ".join(_basic_clean(str(key)).split())

    def expand(self, text: str) -> str:
        if self._re is None:
            return text
        return self._re.sub(lambda m: self.mapping[m.group(1)], text)


# punctuation, dots that are not decimal points, dashes that do not join words (one pass)
_NOISE_RE = re.compile(r"[^\w$&'.\- ]+|(?<!\d)\.|\.(?!\d)|(?<![a-z0-9])-|-(?![a-z0-9])")
_USER_MENTION_RE = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_CHANNEL_LINK_RE = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")
_SPECIAL_MENTION_RE = re.compile(r"<![^>]*>")
_URL_LINK_RE = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")


def _basic_clean(text: str) -> str:
    if not text.isascii():  # ASCII needs no normalization, and its control characters count as noise below
        text = unicodedata.normalize("NFKC", text)
        text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = text.lower().replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return " ".join(_NOISE_RE.sub(" ", text).split())


def strip_slack_markup(text: str) -> str:
    """Turn Slack control sequences into plain words so they can neither match nor be echoed live."""
    if "<" in text:
        text = _USER_MENTION_RE.sub(" ", text)
        text = _CHANNEL_LINK_RE.sub(r" \1 ", text)
        text = _SPECIAL_MENTION_RE.sub(" ", text)
        text = _URL_LINK_RE.sub(lambda m: f" {m.group(2) or m.group(1)} ", text)
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: enough to join 'units'/'unit', 'modifiers'/'modifier', 'billed'/'bill'."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            base = word[: -len(suffix)] + repl
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    return word


def extract_codes(text: str, expand_ranges: bool = True) -> tuple[str, ...]:
    found: list[str] = []
    for m in _CODE_RANGE_RE.finditer(text if expand_ranges else ""):
        lo, hi = int(m.group(1)), int(m.group(2))
        if 0 < hi - lo <= 12:
            found.extend(str(c) for c in range(lo, hi + 1))
    for m in _CODE_RE.finditer(text):
        code = m.group(1).upper()
        found.append(code)
    return tuple(dict.fromkeys(found))


def extract_modifiers(original: str) -> tuple[str, ...]:
    found: list[str] = []
    has_context = bool(_MODIFIER_CONTEXT_RE.search(original))
    for m in re.finditer(r"(?<![\w$])([A-Za-z]{2}|\d{2})(?![\w])", original):
        token = m.group(1)
        upper = token.upper()
        if upper not in MODIFIERS:
            continue
        before = original[max(0, m.start() - 14) : m.start()]
        after = original[m.end() : m.end() + 14]
        attached = bool(re.search(r"\d{4}[0-9A-Z]\s*-\s*$", before)) or bool(re.match(r"\s*-?\s*mod", after, re.I))
        near_context = bool(_MODIFIER_CONTEXT_RE.search(before + " " + after))
        if upper in NUMERIC_MODIFIERS:
            if (
                upper == "59"
                and not re.match(r"\s*(?:min|minute|mins|'|\$|%)", after, re.I)
                or attached
                or near_context
            ):
                found.append(upper)
            continue
        if token.isupper():
            if upper == "CO" and (_GROUP_CODE_CO_AFTER_RE.match(after) or _GROUP_CODE_CO_BEFORE_RE.search(before)):
                continue
            found.append(upper)
        elif (has_context and upper not in WORDLIKE_MODIFIERS) or attached or near_context:
            found.append(upper)
    return tuple(dict.fromkeys(found))


_STATE_NAME_RE = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(n) for n in sorted(STATE_BY_NAME, key=len, reverse=True)) + r")(?![\w])"
)
_POSTAL_RE = re.compile(r"(?<![\w])([A-Z]{2})(?![\w])")
# Lower-case postal codes count only after "in"/"from" and when they are not everyday words or shorthand.
_LOWER_POSTAL_RE = re.compile(r"\b(?:in|from|for|of)\s+([a-z]{2})\b(?!\s*(?:min|units?)\b)")
_LOWER_POSTAL_OK = frozenset(STATES) - AMBIGUOUS_POSTAL - {"TX", "WA", "SC", "VA", "UT", "NE", "SD", "CT", "RI", "WI"}


def extract_states(original: str, cleaned: str) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for m in _STATE_NAME_RE.finditer(cleaned):
        code = STATE_BY_NAME[m.group(1)]
        if code == "WA" and re.match(r"\s*(?:dc|d c)\b", cleaned[m.end() :]):
            continue
        found.append((m.start() * 10, code))
    for m in _POSTAL_RE.finditer(original):
        code = m.group(1)
        if code not in STATES:
            continue
        if code in AMBIGUOUS_POSTAL:
            before = original[max(0, m.start() - 12) : m.start()].lower()
            after = original[m.end() : m.end() + 12].lower()
            if not (
                re.search(r"\b(in|from|of|for|state)\s*$", before) or re.match(r"\s*(state|pts?|clinic|law)", after)
            ):
                continue
            if code in MODIFIERS and re.search(r"\b(mod|modifier)", before + after):
                continue
        found.append((m.start() * 10 + 1, code))
    for m in _LOWER_POSTAL_RE.finditer(original):
        if m.group(1).upper() in _LOWER_POSTAL_OK:
            found.append((m.start(1) * 10 + 2, m.group(1).upper()))
    found.sort()
    return tuple(dict.fromkeys(code for _, code in found))


_PAYER_RE = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(w) for w in sorted(PAYER_WORDS, key=len, reverse=True)) + r")(?![\w])"
)


def extract_payers(cleaned: str) -> tuple[str, ...]:
    payers = [PAYER_WORDS[m.group(1)] for m in _PAYER_RE.finditer(cleaned)]
    if "medicare_advantage" in payers and "medicare" in payers:
        payers = [p for p in payers if p != "medicare"]
    return tuple(dict.fromkeys(payers))


def extract_minutes(original: str) -> tuple[int, ...]:
    return tuple(int(m.group(1)) for m in _MINUTES_RE.finditer(original))


def words(text: str) -> tuple[str, ...]:
    """Every word of a normalized text, stopwords and endings kept (what a learned model reads)."""
    return tuple(_WORD_RE.findall(text))


def tokenize(text: str) -> list[str]:
    words = _WORD_RE.findall(text)
    return [stem(w) for w in words if w in KEEP_WORDS or w not in STOPWORDS]


def normalize(text: str, synonyms: Synonyms | None = None) -> tuple[str, tuple[str, ...]]:
    """The normalized text and its tokens, without entity extraction (for indexing phrasings)."""
    cleaned = _basic_clean(strip_slack_markup(text or "")[:MAX_QUESTION_CHARS])
    expanded = synonyms.expand(cleaned) if synonyms else cleaned
    return expanded, tuple(tokenize(expanded))


def analyze(question: str, synonyms: Synonyms | None = None) -> Analysis:
    """Normalize a question and pull out its entities (codes, modifiers, states, payers, minute counts)."""
    original = strip_slack_markup(question or "")[: MAX_QUESTION_CHARS * 2]
    original = original[:MAX_QUESTION_CHARS]
    cleaned = _basic_clean(original)
    expanded = synonyms.expand(cleaned) if synonyms else cleaned
    codes = extract_codes(original)
    return Analysis(
        original=original,
        text=expanded,
        tokens=tuple(tokenize(expanded)),
        codes=codes,
        modifiers=extract_modifiers(original),
        states=extract_states(original, expanded),
        payers=extract_payers(expanded),
        minutes=extract_minutes(original),
    )
