"""Rule tables from knowledge/rules/*.yaml: parsed into frozen records and validated row by row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.core.models import Source
from bot.core.text import STATES
from bot.core.yamlio import Problem, as_date, line_of

CODE_RE = re.compile(r"^(\d{4}[0-9TF]|[A-V]\d{4})$")
MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
AMBIGUOUS_ALIASES = frozenset({"ice", "heat", "wax", "vac", "exercise", "group"})
STATE_STATUSES = ("allowed", "allowed_with_conditions", "not_permitted", "unclear")
PAIR_STATUSES = ("edit", "no_edit", "unverified")


@dataclass(frozen=True)
class CodeInfo:
    code: str
    name: str
    descriptor: str
    timed: bool
    category: str
    aliases: tuple[str, ...]
    notes: str
    sources: tuple[Source, ...]
    reviewed: date


@dataclass(frozen=True)
class ModifierInfo:
    modifier: str
    name: str
    meaning: str
    use_when: str
    not_with: tuple[str, ...]
    notes: str
    payers: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: date


@dataclass(frozen=True)
class CodePair:
    codes: frozenset[str]
    status: str
    column1: str | None
    column2: str | None
    modifier_indicator: int | None
    quarter: str
    notes: str
    sources: tuple[Source, ...]
    reviewed: date


@dataclass(frozen=True)
class StateLaw:
    state: str
    name: str
    status: str
    summary: str
    conditions: str
    as_of: date | None
    sources: tuple[Source, ...]
    reviewed: date


@dataclass(frozen=True)
class RuleBasis:
    """The sources and review date behind a computed rule (units, ABN, pair lookups)."""

    sources: tuple[Source, ...]
    reviewed: date


@dataclass(frozen=True)
class RuleTables:
    basis: Mapping[str, RuleBasis] = field(default_factory=dict)
    codes: Mapping[str, CodeInfo] = field(default_factory=dict)
    modifiers: Mapping[str, ModifierInfo] = field(default_factory=dict)
    pairs: Mapping[frozenset[str], CodePair] = field(default_factory=dict)
    states: Mapping[str, StateLaw] = field(default_factory=dict)
    states_note: str = ""

    def code_by_alias(self) -> dict[str, tuple[str, ...]]:
        """Words staff use for codes ('ther ex' -> 97110; 'ot eval' -> the OT evaluation codes).

        Two-letter and everyday-word aliases are dropped as too ambiguous, and so is an alias shared by codes
        that differ in being timed.
        """
        owners: dict[str, set[str]] = {}
        for info in self.codes.values():
            for alias in info.aliases:
                owners.setdefault(alias.lower(), set()).add(info.code)
        table: dict[str, tuple[str, ...]] = {}
        for alias, codes in owners.items():
            if len(alias) <= 2 or alias in AMBIGUOUS_ALIASES or len({self.codes[c].timed for c in codes}) > 1:
                continue
            table[alias] = tuple(sorted(codes))
        return table


class _Row:
    """Typed field access for one YAML row that records problems instead of raising."""

    def __init__(self, raw: dict[str, Any], file: str, row_id: str | None, problems: list[Problem]):
        self.raw, self.file, self.row_id, self.problems = raw, file, row_id, problems
        self.line = line_of(raw)
        self.ok = True

    def error(self, message: str) -> None:
        self.ok = False
        self.problems.append(Problem("error", self.file, self.line, self.row_id, message))

    def text(self, key: str, required: bool = True) -> str:
        value = self.raw.get(key)
        if value is None or value == "":
            if required:
                self.error(f"missing field '{key}'")
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.error(f"field '{key}' must be text, got {type(value).__name__}")
            return ""
        return value.strip()

    def strings(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.error(f"missing field '{key}'")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.error(f"field '{key}' must be a list of text values")
            return ()
        return tuple(str(v).strip() for v in value)

    def when(self, key: str, required: bool = True) -> date | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.error(f"missing field '{key}'")
            return None
        parsed = as_date(value)
        if parsed is None:
            self.error(f"field '{key}' is not a valid date (YYYY-MM-DD): {value!r}")
        return parsed

    def flag(self, key: str) -> bool:
        value = self.raw.get(key)
        if not isinstance(value, bool):
            self.error(f"field '{key}' must be true or false")
            return False
        return value

    def sources(self, registry: Mapping[str, Source]) -> tuple[Source, ...]:
        ids = self.strings("sources", required=True)
        if not ids and "sources" in self.raw:
            self.error("at least one source is required")
        found = []
        for sid in ids:
            if sid not in registry:
                self.error(f"source '{sid}' is not in sources.yaml")
            else:
                found.append(registry[sid])
        return tuple(found)


def _rows(data: Any, key: str, file: str, problems: list[Problem]) -> list[dict[str, Any]]:
    if data is None:
        return []
    rows = data.get(key) if isinstance(data, dict) else None
    if not isinstance(rows, list):
        problems.append(Problem("error", file, line_of(data, 1), None, f"expected a top-level '{key}:' list"))
        return []
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            out.append(row)
        else:
            problems.append(Problem("error", file, line_of(data, 1), None, f"{key}[{i}] must be a mapping"))
    return out


def parse_codes(data: Any, file: str, registry: Mapping[str, Source], problems: list[Problem]) -> dict[str, CodeInfo]:
    table: dict[str, CodeInfo] = {}
    for raw in _rows(data, "codes", file, problems):
        code = str(raw.get("code", "")).strip().upper()
        row = _Row(raw, file, code or None, problems)
        if not CODE_RE.match(code):
            row.error(f"'{code}' is not a well-formed CPT/HCPCS code")
        info = CodeInfo(
            code=code,
            name=row.text("name"),
            descriptor=row.text("descriptor"),
            timed=row.flag("timed"),
            category=row.text("category", required=False),
            aliases=tuple(a.lower() for a in row.strings("aliases")),
            notes=row.text("notes", required=False),
            sources=row.sources(registry),
            reviewed=row.when("reviewed") or date.min,
        )
        if code in table:
            row.error(f"code {code} is listed twice")
        if row.ok:
            table[code] = info
    return table


def parse_modifiers(
    data: Any, file: str, registry: Mapping[str, Source], problems: list[Problem]
) -> dict[str, ModifierInfo]:
    table: dict[str, ModifierInfo] = {}
    for raw in _rows(data, "modifiers", file, problems):
        mod = str(raw.get("modifier", "")).strip().upper()
        row = _Row(raw, file, mod or None, problems)
        if not MODIFIER_RE.match(mod):
            row.error(f"'{mod}' is not a well-formed modifier")
        info = ModifierInfo(
            modifier=mod,
            name=row.text("name"),
            meaning=row.text("meaning"),
            use_when=row.text("use_when", required=False),
            not_with=tuple(m.upper() for m in row.strings("not_with")),
            notes=row.text("notes", required=False),
            payers=row.strings("payers"),
            sources=row.sources(registry),
            reviewed=row.when("reviewed") or date.min,
        )
        if mod in table:
            row.error(f"modifier {mod} is listed twice")
        if row.ok:
            table[mod] = info
    return table


def parse_pairs(
    data: Any, file: str, registry: Mapping[str, Source], problems: list[Problem]
) -> dict[frozenset[str], CodePair]:
    table: dict[frozenset[str], CodePair] = {}
    for raw in _rows(data, "pairs", file, problems):
        codes = [str(c).strip().upper() for c in raw.get("codes", [])] if isinstance(raw.get("codes"), list) else []
        row = _Row(raw, file, "+".join(codes) or None, problems)
        if len(codes) != 2 or not all(CODE_RE.match(c) for c in codes) or codes[0] == codes[1]:
            row.error("'codes' must list two different well-formed codes")
        status = row.text("status")
        if status and status not in PAIR_STATUSES:
            row.error(f"status must be one of {', '.join(PAIR_STATUSES)}")
        col1 = str(raw.get("column1", "")).strip().upper() or None
        col2 = str(raw.get("column2", "")).strip().upper() or None
        indicator = raw.get("modifier_indicator")
        if status == "edit":
            if {col1, col2} != set(codes):
                row.error("an edit needs column1 and column2 naming the two codes")
            if indicator not in (0, 1, 9):
                row.error("an edit needs modifier_indicator 0, 1 or 9")
        pair = CodePair(
            codes=frozenset(codes),
            status=status,
            column1=col1,
            column2=col2,
            modifier_indicator=indicator if isinstance(indicator, int) else None,
            quarter=row.text("quarter", required=status != "unverified"),
            notes=row.text("notes", required=False),
            sources=row.sources(registry),
            reviewed=row.when("reviewed") or date.min,
        )
        if pair.codes in table:
            row.error(f"pair {' + '.join(sorted(pair.codes))} is listed twice")
        if row.ok:
            table[pair.codes] = pair
    return table


def parse_states(
    data: Any, file: str, registry: Mapping[str, Source], problems: list[Problem]
) -> tuple[dict[str, StateLaw], str]:
    table: dict[str, StateLaw] = {}
    for raw in _rows(data, "states", file, problems):
        code = str(raw.get("state", "")).strip().upper()
        row = _Row(raw, file, code or None, problems)
        if code not in STATES:
            row.error(f"'{code}' is not a US state or DC postal code")
        status = row.text("status")
        if status and status not in STATE_STATUSES:
            row.error(f"status must be one of {', '.join(STATE_STATUSES)}")
        law = StateLaw(
            state=code,
            name=row.text("name"),
            status=status,
            summary=row.text("summary"),
            conditions=row.text("conditions", required=False),
            as_of=row.when("as_of"),
            sources=row.sources(registry),
            reviewed=row.when("reviewed") or date.min,
        )
        if code in table:
            row.error(f"state {code} is listed more than once")
        if row.ok:
            table[code] = law
    if data is not None:
        missing = sorted(set(STATES) - set(table))
        if missing:
            problems.append(Problem("error", file, 1, None, f"states missing from the table: {', '.join(missing)}"))
    note = data.get("as_of_note", "") if isinstance(data, dict) else ""
    return table, str(note or "")


RULE_NAMES = ("units_medicare", "units_midpoint", "abn", "abn_dry_needling", "code_pairs")


def parse_basis(data: Any, file: str, registry: Mapping[str, Source], problems: list[Problem]) -> dict[str, RuleBasis]:
    table: dict[str, RuleBasis] = {}
    if data is None:
        return table
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, dict):
        problems.append(Problem("error", file, line_of(data, 1), None, "expected a top-level 'rules:' mapping"))
        return table
    for name in RULE_NAMES:
        raw = rules.get(name)
        if not isinstance(raw, dict):
            problems.append(
                Problem("error", file, line_of(rules, 1), name, f"rule '{name}' needs sources and reviewed")
            )
            continue
        row = _Row(raw, file, name, problems)
        basis = RuleBasis(sources=row.sources(registry), reviewed=row.when("reviewed") or date.min)
        if row.ok:
            table[name] = basis
    return table
