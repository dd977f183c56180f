"""Timed-code units: the Medicare total-time 8-minute rule and the CPT per-code midpoint method.

Medicare (Claims Processing Manual ch. 5, section 20.2) adds the direct one-on-one minutes of all timed codes
and converts the total with a chart: 8-22 minutes = 1 unit, 23-37 = 2, and one more unit per 15 minutes after.
Full 15-minute units go to their own codes; leftover minutes combine and the extra units go to the codes with
the most leftover minutes. The CPT midpoint method counts each code on its own: a unit once more than half of
15 minutes (8+) has passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.rules.tables import CodeInfo

UNASSIGNED = "timed"
UNTIMED_WORDS = "untimed"  # an evaluation or group named in words, without its code


def medicare_total_units(total_minutes: int) -> int:
    """Units for the total timed minutes of one date of service (the CMS chart, extended past 8 units)."""
    return 0 if total_minutes < 8 else (total_minutes + 7) // 15


def midpoint_units(minutes: int) -> int:
    """CPT midpoint method for one 15-minute code: a unit is attained once the midpoint (7.5 min) is passed."""
    return 0 if minutes < 8 else (minutes + 7) // 15


def allocate_medicare(minutes_by_code: Mapping[str, int]) -> dict[str, int]:
    """Split the total Medicare units across timed codes, per the CMS examples."""
    total = medicare_total_units(sum(minutes_by_code.values()))
    units = {code: m // 15 for code, m in minutes_by_code.items()}
    extra = total - sum(units.values())
    leftovers = sorted(minutes_by_code, key=lambda c: (-(minutes_by_code[c] % 15), -minutes_by_code[c]))
    for code in leftovers[: max(extra, 0)]:
        units[code] += 1
    return units


@dataclass(frozen=True)
class TimedService:
    code: str  # a CPT/HCPCS code, or UNASSIGNED for minutes given without a code
    minutes: int
    label: str  # what the question called it: the code, or the words staff used ("ther ex", "ot eval")
    timed: bool
    known: bool = True
    total: bool = False  # minutes stated as a total ("= 70 timed min", "52 min total")
    shared: bool = False  # the words name a family of codes (several OT evaluation codes), not one code


_SEPARATORS = re.compile(r"(\+|,|;|&|=|\bplus\b|\band\b|\bthen\b|\bw/|\bwith\b|\bfollowed by\b|\balso\b)")
_MIN_WORD = r"(?:min(?:ute)?s?|mins?|m(?=\b)|')"
_NUMBER_MIN = re.compile(
    rf"(?<![\w.$])(\d{{1,3}})\s*(?:-\s*)?(?:(?:total|timed|treatment|tx|of|direct)\s+){{0,3}}{_MIN_WORD}(?![\w])",
    re.IGNORECASE,
)
_RULE_NAME = re.compile(rf"\b8\s*-?\s*{_MIN_WORD}\w*\s*(?:rule|total\b(?!\s*timed))", re.IGNORECASE)
_CODE_MIN = re.compile(r"\b(\d{4}[0-9TF]|[A-V]\d{4})\s*(?:[:=]|for)\s*(\d{1,3})\b(?!\s*units?)", re.IGNORECASE)
_CODE_IN_TEXT = re.compile(r"\b(\d{4}[0-9TF]|[A-V]\d{4})\b", re.IGNORECASE)
_NUMBER_AFTER = re.compile(r"^\s*(?:for|:|-|=|@)?\s*(\d{1,3})\b(?!\s*(?:units?|x\b|%|visits?|days?|muscles?|areas?))")
_NUMBER_BEFORE = re.compile(r"(?<![\w.$/])(\d{1,3})\s*(?:of\s+)?$")
_UNITS_AFTER = re.compile(r"^\s*(?:units?|untis)\b")
_UNTIMED_HINT = re.compile(r"\b(evals?|evaluations?|re-?evals?|reevaluations?|group|class|consult\w*)\b")
_UNITS_WORDS = re.compile(r"\b(units?|untis|how many|bill\w*)\b")


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    codes: tuple[str, ...]
    label: str


def _mentions(segment: str, alias_re: re.Pattern[str] | None, aliases: Mapping[str, tuple[str, ...]]) -> list[_Mention]:
    found = [
        _Mention(m.start(), m.end(), (m.group(1).upper(),), m.group(1).upper()) for m in _CODE_IN_TEXT.finditer(segment)
    ]
    if alias_re is not None:
        for m in alias_re.finditer(segment):
            if not any(f.start < m.end() and m.start() < f.end for f in found):
                found.append(_Mention(m.start(), m.end(), aliases[m.group(1)], m.group(1)))
    return sorted(found, key=lambda f: f.start)


def parse_timed_services(
    text: str, codes: Mapping[str, CodeInfo], aliases: Mapping[str, tuple[str, ...]]
) -> list[TimedService]:
    """Find 'minutes per code' in free text: '33 min 97110 + 7 min 97140', 'ther ex 40 + neuro re-ed 30'.

    Codes named without minutes are kept when they are untimed, so the answer can say they do not count.
    """
    cleaned = _RULE_NAME.sub(" ", text.lower())
    services: list[TimedService] = []
    bare_numbers_ok = bool(re.search(rf"\d\s*{_MIN_WORD}|\bminutes?\b|\bmins?\b", cleaned)) or bool(
        _UNITS_WORDS.search(cleaned)
    )
    alias_re = _alias_pattern(aliases)
    parts = _SEPARATORS.split(cleaned)
    for index in range(0, len(parts), 2):
        segment = parts[index]
        restates_total = (index > 0 and parts[index - 1] == "=") or bool(re.search(r"\btotal\b", segment))
        mentions = _mentions(segment, alias_re, aliases)
        pairs = [(m.group(1).upper(), int(m.group(2))) for m in _CODE_MIN.finditer(segment)]
        if pairs:
            services.extend(_service((code,), code, minutes, codes) for code, minutes in pairs)
            continue
        minute_values = [int(m.group(1)) for m in _NUMBER_MIN.finditer(segment)]
        if not minute_values and mentions and bare_numbers_ok:
            for mention in mentions:
                after = _NUMBER_AFTER.match(segment[mention.end :])
                before = _NUMBER_BEFORE.search(segment[: mention.start])
                if after and 0 < int(after.group(1)) <= 240:
                    minute_values.append(int(after.group(1)))
                elif before and 0 < int(before.group(1)) <= 240 and not _UNITS_AFTER.match(segment[mention.end :]):
                    minute_values.append(int(before.group(1)))
        if not minute_values:
            services.extend(_service(m.codes, m.label, 0, codes) for m in mentions if _is_untimed(m.codes, codes))
            continue
        if len(mentions) == 1:
            services.append(_service(mentions[0].codes, mentions[0].label, sum(minute_values), codes))
        elif not mentions:
            hint = _UNTIMED_HINT.search(segment)
            if hint and not re.search(r"\btimed\b", segment):
                # "20 min eval", "45 min group class": an untimed service named in words; its minutes never count
                services.append(TimedService(UNTIMED_WORDS, sum(minute_values), hint.group(1), False))
                continue
            services.extend(
                TimedService(UNASSIGNED, m, "timed minutes", True, total=restates_total) for m in minute_values
            )
        elif len(mentions) == len(minute_values):
            services.extend(_service(m.codes, m.label, v, codes) for m, v in zip(mentions, minute_values, strict=True))
    return _drop_restated_total(_merge_repeats(services))


def _is_untimed(group: tuple[str, ...], codes: Mapping[str, CodeInfo]) -> bool:
    return all(c in codes and not codes[c].timed for c in group)


def _merge_repeats(services: list[TimedService]) -> list[TimedService]:
    """An untimed code named twice (once with minutes) is one service."""
    seen: dict[str, TimedService] = {}
    out: list[TimedService] = []
    for s in services:
        if not s.timed and s.code in seen:
            if s.minutes and not seen[s.code].minutes:
                out[out.index(seen[s.code])] = s
                seen[s.code] = s
            continue
        seen.setdefault(s.code, s)
        out.append(s)
    return out


def _alias_pattern(aliases: Mapping[str, tuple[str, ...]]) -> re.Pattern[str] | None:
    if not aliases:
        return None
    ordered = sorted(aliases, key=len, reverse=True)
    return re.compile(r"(?<![\w])(" + "|".join(re.escape(a) for a in ordered) + r")(?![\w])")


def _service(group: tuple[str, ...], label: str, minutes: int, codes: Mapping[str, CodeInfo]) -> TimedService:
    code = group[0]
    info = codes.get(code)
    if info is None:
        return TimedService(code, minutes, label, False, known=False)
    return TimedService(code, minutes, label, info.timed, shared=len(group) > 1)


def _drop_restated_total(services: list[TimedService]) -> list[TimedService]:
    """'ther ex 40 + neuro re-ed 30 = 70 timed min': the 70 restates the sum and must not be added twice."""
    assigned = sum(s.minutes for s in services if s.code != UNASSIGNED and (s.timed or not s.known))
    if assigned and any(s.total and s.minutes == assigned for s in services):
        return [s for s in services if not (s.code == UNASSIGNED and s.total)]
    return services


@dataclass(frozen=True)
class UnitsResult:
    services: tuple[TimedService, ...]
    total_timed_minutes: int
    medicare_units: int
    medicare_by_code: Mapping[str, int]
    midpoint_by_code: Mapping[str, int]

    @property
    def untimed(self) -> tuple[TimedService, ...]:
        return tuple(s for s in self.services if not s.timed)


def compute_units(services: Sequence[TimedService]) -> UnitsResult:
    timed: dict[str, int] = {}
    for s in services:
        if s.timed:
            timed[s.code] = timed.get(s.code, 0) + s.minutes
    total = sum(timed.values())
    return UnitsResult(
        services=tuple(services),
        total_timed_minutes=total,
        medicare_units=medicare_total_units(total),
        medicare_by_code=allocate_medicare(timed),
        midpoint_by_code={code: midpoint_units(m) for code, m in timed.items()},
    )
