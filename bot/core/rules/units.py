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
    label: str
    timed: bool
    known: bool = True
    total: bool = False  # minutes stated as a total ("= 70 timed min", "52 min total")


_SEPARATORS = re.compile(r"(\+|,|;|&|=|\bplus\b|\band\b|\bthen\b|\bw/|\bwith\b|\bfollowed by\b|\balso\b)")
_MIN_WORD = r"(?:min(?:ute)?s?|mins?|m(?=\b)|')"
_NUMBER_MIN = re.compile(
    rf"(?<![\w.$])(\d{{1,3}})\s*(?:-\s*)?(?:(?:total|timed|treatment|tx|of|direct)\s+){{0,3}}{_MIN_WORD}(?![\w])",
    re.IGNORECASE,
)
_RULE_NAME = re.compile(rf"\b8\s*-?\s*{_MIN_WORD}\w*\s*(?:rule|total\b(?!\s*timed))", re.IGNORECASE)
_CODE_MIN = re.compile(r"\b(\d{4}[0-9TF]|[A-V]\d{4})\s*(?:[:=x×]|for)\s*(\d{1,3})\b(?!\s*units?)", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"(?<![\w.$:/-])(\d{1,3})(?![\w.%$/:]|\s*(?:units?|x\b|visits?|days?|%))", re.IGNORECASE)
_CODE_IN_TEXT = re.compile(r"\b(\d{4}[0-9TF]|[A-V]\d{4})\b", re.IGNORECASE)


def parse_timed_services(text: str, codes: Mapping[str, CodeInfo], aliases: Mapping[str, str]) -> list[TimedService]:
    """Find 'minutes per code' in free text: '33 min 97110 + 7 min 97140', 'ther ex 40 + neuro re-ed 30'."""
    cleaned = _RULE_NAME.sub(" ", text.lower())
    services: list[TimedService] = []
    mentions_minutes = bool(re.search(rf"\d\s*{_MIN_WORD}|\bminutes?\b|\bmins?\b", cleaned))
    alias_re = _alias_pattern(aliases)
    parts = _SEPARATORS.split(cleaned)
    for index in range(0, len(parts), 2):
        segment = parts[index]
        restates_total = (index > 0 and parts[index - 1] == "=") or bool(re.search(r"\btotal\b", segment))
        found_codes = [c.upper() for c in _CODE_IN_TEXT.findall(segment)]
        if alias_re is not None:
            found_codes += [aliases[m.group(1)] for m in alias_re.finditer(segment)]
        found_codes = list(dict.fromkeys(found_codes))
        pairs = [(m.group(1).upper(), int(m.group(2))) for m in _CODE_MIN.finditer(segment)]
        if pairs:
            services.extend(_service(code, minutes, codes) for code, minutes in pairs)
            continue
        minute_values = [int(m.group(1)) for m in _NUMBER_MIN.finditer(segment)]
        if not minute_values and found_codes and mentions_minutes:
            stripped = _CODE_IN_TEXT.sub(" ", segment)
            minute_values = [int(n) for n in _BARE_NUMBER.findall(stripped) if 0 < int(n) <= 240]
        if not minute_values:
            continue
        if len(found_codes) == 1:
            services.append(_service(found_codes[0], sum(minute_values), codes))
        elif not found_codes:
            services.extend(
                TimedService(UNASSIGNED, m, "timed minutes", True, total=restates_total) for m in minute_values
            )
        elif len(found_codes) == len(minute_values):
            services.extend(_service(c, m, codes) for c, m in zip(found_codes, minute_values, strict=True))
    return _drop_restated_total(services)


def _alias_pattern(aliases: Mapping[str, str]) -> re.Pattern[str] | None:
    if not aliases:
        return None
    ordered = sorted(aliases, key=len, reverse=True)
    return re.compile(r"(?<![\w])(" + "|".join(re.escape(a) for a in ordered) + r")(?![\w])")


def _service(code: str, minutes: int, codes: Mapping[str, CodeInfo]) -> TimedService:
    info = codes.get(code)
    if info is None:
        return TimedService(code, minutes, code, False, known=False)
    return TimedService(code, minutes, info.name, info.timed)


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
