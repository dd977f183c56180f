"""Deterministic answers computed from the rule tables, in the same Answer shape as the FAQ."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

from bot.core.models import Alternative, Answer, Source
from bot.core.rules import abn
from bot.core.rules.tables import CodeInfo, CodePair, ModifierInfo, RuleTables, StateLaw
from bot.core.rules.units import UNASSIGNED, UNTIMED_WORDS, TimedService, compute_units, parse_timed_services
from bot.core.text import STATES, Analysis

RULE_CONFIDENCE = 0.97
LOOKUP_CONFIDENCE = 0.9
STATE_LABELS = {
    "allowed": "allowed",
    "allowed_with_conditions": "allowed, with conditions",
    "not_permitted": "not permitted",
    "unclear": "unclear: the practice act is silent or ambiguous",
}
DRY_NEEDLING_RE = re.compile(r"\b(dry[\s-]*needl\w*|tdn|dn|needl\w*|intramuscular (?:manual therapy|needling))\b", re.I)
UNITS_INTENT_RE = re.compile(r"\b(units?|untis?|how many|bill(?:able|ed|ing)?|charge)\b", re.I)
PAYMENT_INTENT_RE = re.compile(r"\b(pay|pays|paid|cover\w*|reimburs\w*|insurance|payer|claim|bill\w*|code|cpt)\b", re.I)
NON_MEDICARE_METHOD_RE = re.compile(r"\b(midpoint|mid-point|ama|cpt rule|substantial portion)\b", re.I)
LOOKUP_CODE_RE = re.compile(
    r"^\s*(?:what(?:'s| is| does)?|whats|is|define|describe|explain|meaning of|code)?\s*(?:cpt|hcpcs|code)?\s*"
    r"(\d{4}[0-9TF]|[A-V]\d{4})\s*(?:code)?\s*"
    r"(?:mean|stand for|for|timed|untimed|a timed code|time[d]? based)?\s*\??\s*$",
    re.I,
)
LOOKUP_MOD_RE = re.compile(
    r"^\s*(?:what(?:'s| is| does)?|whats|define|explain|meaning of|when (?:do (?:we|i|you) )?use)?\s*(?:the)?\s*"
    r"(?:mod(?:ifier)?|modifer)?\s*-?\s*([A-Z0-9]{2})\s*(?:mod(?:ifier)?|modifer)?\s*(?:mean|stand for|for)?\s*\??\s*$",
    re.I,
)
PAIR_INTENT_RE = re.compile(
    r"(\bsame (?:day|date|visit|session|dos)\b|\btogether\b|\bbundl\w*|\bncci\b|\bcci\b|\bedits?\b|\bptp\b|"
    r"\bbill\w*\s+\S+\s+(?:with|and|\+)|\bpair\b|\bcolumn [12]\b)",
    re.I,
)
PAIR_SHORT_RE = re.compile(r"^\W*\S+\s*(?:\+|&|and|with|w/)\s*\S+\W*$", re.I)
PAIR_OTHER_TOPIC_RE = re.compile(
    r"\b(dx|diagnos\w*|pointer|justify|documentation|deni\w*|appeal|estim|e-stim|needles?)\b", re.I
)
CODE_QUESTION_RE = re.compile(
    r"\b(timed|untimed|per 15|each 15|15[- ]?min\w*|time[- ]?based|per session|what is|what's|whats|describe|"
    r"stand for|mean)\b",
    re.I,
)
CODE_FOR_RE = re.compile(
    r"\b(?:what|which)\s+(?:cpt\s+|hcpcs\s+)?code\s+(?:is\s+|do\s+\w+\s+use\s+)?(?:for|is)\s+(.+?)\??$", re.I
)


@dataclass(frozen=True)
class _Parts:
    text: str
    sources: tuple[Source, ...]
    reviewed: date | None
    depends_on: tuple[str, ...] = ()


def _unique(sources: Iterable[Source]) -> tuple[Source, ...]:
    return tuple({s.id: s for s in sources}.values())


def _units_word(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"


def _timed_named(services: Iterable[TimedService]) -> list[TimedService]:
    """One timed service per code, in the order named (unassigned 'timed minutes' excluded)."""
    out: dict[str, TimedService] = {}
    for s in services:
        if s.timed and s.code != UNASSIGNED:
            out.setdefault(s.code, s)
    return list(out.values())


def _oldest(dates: Iterable[date | None]) -> date | None:
    known = [d for d in dates if d and d != date.min]
    return min(known) if known else None


class RuleEngine:
    """Rules answer when their entities are present; `answer` returns None to fall through to the FAQ."""

    def __init__(self, rules: RuleTables):
        self.rules = rules
        self.aliases = rules.code_by_alias()

    def answer(self, question: str, analysis: Analysis) -> Answer | None:
        for rule in (self._units, self._state, self._abn, self._pair, self._code, self._modifier):
            parts = rule(analysis)
            if parts is not None:
                return self._to_answer(question, parts, rule.__name__.strip("_"))
        return None

    def lookup(self, kind: str, args: str, analysis: Analysis) -> Answer:
        """`/billing code 97530`, `mod KX`, `units 97110:23 97140:10`, `pair 97140 97530`, `state NY`."""
        question = f"{kind} {args}".strip()
        handler = {
            "code": self._lookup_code,
            "mod": self._lookup_modifier,
            "modifier": self._lookup_modifier,
            "units": lambda a, _: self._units(analysis, force=True),
            "pair": lambda a, _: self._pair(analysis, force=True),
            "state": self._lookup_state,
        }.get(kind)
        parts = handler(args, analysis) if handler else None
        if isinstance(parts, Answer):
            return parts
        if parts is None:
            return self._not_in_tables(question, kind, args)
        return self._to_answer(question, parts, kind)

    def _to_answer(self, question: str, parts: _Parts, kind: str) -> Answer:
        return Answer(
            question=question,
            status="answered",
            answer=parts.text,
            sources=_unique(parts.sources),
            confidence=RULE_CONFIDENCE if kind in ("units", "state", "abn") else LOOKUP_CONFIDENCE,
            entry_id=f"rule:{kind}",
            reviewed=parts.reviewed,
            depends_on=parts.depends_on,
            kind="rule",
        )

    # --- timed units -------------------------------------------------------------------------------------
    def _units(self, a: Analysis, force: bool = False) -> _Parts | None:
        if "units_medicare" not in self.rules.basis or not (force or UNITS_INTENT_RE.search(a.original)):
            return None
        services = parse_timed_services(a.original, self.rules.codes, self.aliases)
        if not any(s.timed for s in services):
            if not any(s.known and s.minutes for s in services):
                return None
            return self._untimed_only(services)
        result = compute_units(services)
        basis = self.rules.basis["units_medicare"]
        midpoint_basis = self.rules.basis.get("units_midpoint")
        non_medicare = [p for p in a.payers if p != "medicare"]
        wants_midpoint = bool(NON_MEDICARE_METHOD_RE.search(a.original)) or bool(non_medicare)
        total = result.total_timed_minutes
        head = f"*Medicare (8-minute rule): {_units_word(result.medicare_units)}* for {total} total timed minutes"
        if result.medicare_units == 0:
            head += " — under 8 timed minutes, nothing timed is billable"
        lines: list[str] = []
        if wants_midpoint:
            payer = "this payer" if non_medicare else "a payer that uses it"
            per_code = ", ".join(
                f"{self._label(s)} {_units_word(result.midpoint_by_code.get(s.code, 0))}"
                for s in _timed_named(result.services)
            )
            mid_total = sum(result.midpoint_by_code.values())
            lines.append(
                f"*It depends on the payer.* Under the CPT (AMA) midpoint rule, which {payer} may use instead, each "
                f"timed code is counted on its own: {_units_word(mid_total)}"
                + (f" ({per_code})" if per_code else "")
                + f". {head}. Check the payer's contract or manual for its rounding rule."
            )
        else:
            lines.append(head + ".")
        for s in sorted(_timed_named(result.services), key=lambda s: -result.medicare_by_code.get(s.code, 0)):
            minutes = sum(x.minutes for x in result.services if x.code == s.code)
            lines.append(f"• {self._label(s)}: {minutes} min → {_units_word(result.medicare_by_code.get(s.code, 0))}")
        lines += self._untimed_lines(result.untimed)
        lines.append(
            "Medicare adds the direct one-on-one (constant attendance) minutes of all timed 15-minute codes and "
            "converts the total: 8–22 min = 1 unit, 23–37 = 2, 38–52 = 3, 53–67 = 4, then one more per 15 min. "
            "Full 15-minute blocks go to their own code; leftover minutes combine, and an extra unit goes to the "
            "code with the most leftover minutes. Untimed (service-based) codes are billed once and their minutes "
            "never count."
        )
        sources = list(basis.sources)
        dates = [basis.reviewed]
        if wants_midpoint and midpoint_basis:
            sources += midpoint_basis.sources
            dates.append(midpoint_basis.reviewed)
        dates += [self.rules.codes[s.code].reviewed for s in result.services if s.code in self.rules.codes]
        return _Parts("\n".join(lines), tuple(sources), _oldest(dates), ("payer",) if wants_midpoint else ())

    def _untimed_only(self, services: list[TimedService]) -> _Parts:
        basis = self.rules.basis["units_medicare"]
        lines = [
            "*No timed units here: these codes are untimed (service-based)* — each is billed as 1 unit per "
            "session regardless of minutes, and the minutes do not count toward the 8-minute rule."
        ]
        lines += self._untimed_lines(tuple(s for s in services if not s.timed))
        infos = [self.rules.codes[s.code] for s in services if s.code in self.rules.codes]
        return _Parts(
            "\n".join(lines),
            (*basis.sources, *(src for i in infos for src in i.sources)),
            _oldest([basis.reviewed, *(i.reviewed for i in infos)]),
        )

    def _untimed_lines(self, services: Iterable[TimedService]) -> list[str]:
        lines = []
        for s in services:
            spent = f"its {s.minutes} min do not" if s.minutes else "its minutes do not"
            if s.known:
                lines.append(
                    f"• {self._label(s)}: untimed (service-based) — 1 unit per session; {spent} count "
                    "toward timed units"
                )
            else:
                lines.append(
                    f"• {s.code}: not in our code table, so its minutes were left out — check whether it "
                    "is a timed code"
                )
        return lines

    def _label(self, s: TimedService) -> str:
        if s.code == UNASSIGNED:
            return "Timed codes"
        if s.code == UNTIMED_WORDS:
            return s.label
        if s.shared:
            return s.label
        info = self.rules.codes.get(s.code)
        if s.label.upper() == s.code:
            return f"{s.code} ({info.name})" if info else s.code
        return f"{s.label} ({s.code})"

    # --- state dry-needling law ----------------------------------------------------------------------------
    def _state(self, a: Analysis) -> _Parts | None:
        if not a.states or not self.rules.states or not DRY_NEEDLING_RE.search(a.original + " " + a.text):
            return None
        if a.payers or PAYMENT_INTENT_RE.search(a.original):
            return None
        laws = [self.rules.states[s] for s in a.states[:3] if s in self.rules.states]
        return self._state_parts(laws) if laws else None

    def _state_parts(self, laws: list[StateLaw]) -> _Parts:
        lines = []
        for law in laws:
            as_of = f" (as of {law.as_of.isoformat()})" if law.as_of else ""
            lines.append(
                f"*{law.name}: dry needling by PTs is {STATE_LABELS.get(law.status, law.status)}*{as_of}. {law.summary}"
            )
            if law.conditions:
                lines.append(f"• Conditions: {law.conditions}")
        lines.append(
            "State laws and board rules change: confirm with your state board of physical therapy (and its "
            "practice act and rules) before offering dry needling."
        )
        return _Parts(
            "\n".join(lines),
            tuple(s for law in laws for s in law.sources),
            _oldest(law.reviewed for law in laws),
            ("state",),
        )

    def _lookup_state(self, args: str, a: Analysis) -> _Parts | None:
        key = args.strip().upper()
        code = key if key in STATES else next((c for c, n in STATES.items() if n == args.strip().lower()), None)
        if code is None and a.states:
            code = a.states[0]
        law = self.rules.states.get(code or "")
        return self._state_parts([law]) if law else None

    # --- ABN helper ----------------------------------------------------------------------------------------
    def _abn(self, a: Analysis) -> _Parts | None:
        situation = abn.read_situation(a)
        if situation is None or "abn" not in self.rules.basis:
            return None
        advice = abn.advise(situation)
        liability = ("GA", "GX", "GY", "GZ")  # the therapy modifiers are mentioned, not what the answer rests on
        mods = [self.rules.modifiers[m] for m in advice.modifiers if m in liability and m in self.rules.modifiers]
        basis = self.rules.basis.get(advice.basis)
        sources = list(basis.sources if basis else ()) + [s for m in mods for s in m.sources]
        reviewed = _oldest([basis.reviewed if basis else None] + [m.reviewed for m in mods])
        return _Parts(advice.text, tuple(sources), reviewed, advice.depends_on)

    # --- code pairs ------------------------------------------------------------------------------------------
    def _pair(self, a: Analysis, force: bool = False) -> _Parts | None:
        codes = [c for c in a.codes if len(c) == 5]
        if len(codes) != 2 or a.minutes:
            return None
        if not force:
            short = PAIR_SHORT_RE.match(a.original.strip().rstrip("?"))
            if not (short or PAIR_INTENT_RE.search(a.original)) or PAIR_OTHER_TOPIC_RE.search(a.original):
                return None
            if len(a.tokens) > 12:
                return None
        pair = self.rules.pairs.get(frozenset(codes))
        basis = self.rules.basis.get("code_pairs")
        if pair is None:
            if not force:
                return None
            text = (
                f"*{codes[0]} + {codes[1]}: not in our verified pair table.* Look the pair up in the current CMS "
                "NCCI procedure-to-procedure (PTP) practitioner edits file; edits change every quarter, and "
                "commercial payers may apply their own bundling edits."
            )
            return _Parts(text, basis.sources if basis else (), basis.reviewed if basis else None, ("payer",))
        return self._pair_parts(pair, basis.sources if basis else ())

    def _pair_parts(self, pair: CodePair, general: tuple[Source, ...]) -> _Parts:
        a, b = sorted(pair.codes)
        if pair.status == "edit":
            ind = pair.modifier_indicator
            meaning = {
                0: "no modifier can bypass it; the column 2 code is not payable with the column 1 code",
                1: "a modifier (59 or XE/XS/XP/XU) may bypass it when the services are truly distinct and the "
                "documentation shows it",
                9: "the edit is not applicable (deleted); modifiers are not relevant",
            }.get(ind or -1, "")
            text = (
                f"*{a} + {b}: yes, an NCCI procedure-to-procedure edit applies* — column 1 {pair.column1}, "
                f"column 2 {pair.column2}, modifier indicator {ind}: {meaning}."
            )
        elif pair.status == "no_edit":
            text = f"*{a} + {b}: no NCCI procedure-to-procedure edit* was listed for this pair."
        else:
            text = (
                f"*{a} + {b}: we could not verify an NCCI edit for this pair.* Check the current CMS NCCI PTP "
                "practitioner edits file before billing them together."
            )
        if pair.notes:
            text += f"\n{pair.notes}"
        quarter = f" (from the NCCI table for {pair.quarter})" if pair.quarter else ""
        text += (
            f"\nNCCI edits change every quarter{quarter}; commercial payers may apply their own edits — check the "
            "current CMS file and the payer's policy."
        )
        return _Parts(text, (*pair.sources, *general), pair.reviewed, ("payer",))

    # --- code and modifier lookups --------------------------------------------------------------------------
    def _code(self, a: Analysis) -> _Parts | None:
        m = LOOKUP_CODE_RE.match(a.original)
        if m:
            return self._lookup_code(m.group(1), a)
        codes = [c for c in a.codes if len(c) == 5]
        if len(codes) == 1 and len(a.tokens) <= 9 and CODE_QUESTION_RE.search(a.original) and not a.payers:
            return self._lookup_code(codes[0], a)
        m = CODE_FOR_RE.search(a.original.strip())
        if m and not a.codes:
            target = m.group(1).lower().strip(" ?.")
            group = self.aliases.get(target)
            if group is None:
                best = process.extractOne(target, list(self.aliases), scorer=fuzz.token_set_ratio, score_cutoff=90)
                group = self.aliases[best[0]] if best else None
            if group and len(group) == 1:
                return self._lookup_code(group[0], a)
        return None

    def _lookup_code(self, args: str, a: Analysis) -> _Parts | None:
        key = args.strip().upper()
        group = self.aliases.get(args.strip().lower(), ())
        info = self.rules.codes.get(key) or (self.rules.codes.get(group[0]) if len(group) == 1 else None)
        if info is None:
            return None
        return _code_parts(info)

    def _modifier(self, a: Analysis) -> _Parts | None:
        m = LOOKUP_MOD_RE.match(a.original)
        if not m:
            return None
        return self._lookup_modifier(m.group(1), a)

    def _lookup_modifier(self, args: str, a: Analysis) -> _Parts | None:
        info = self.rules.modifiers.get(args.strip().upper().lstrip("-"))
        return _modifier_parts(info) if info else None

    def _not_in_tables(self, question: str, kind: str, args: str) -> Answer:
        pool: dict[str, str] = {}
        if kind in ("code", "units", "pair"):
            pool = {c: f"code {c} ({i.name})" for c, i in self.rules.codes.items()}
        elif kind in ("mod", "modifier"):
            pool = {m: f"mod {m} ({i.name})" for m, i in self.rules.modifiers.items()}
        elif kind == "state":
            pool = {c: f"state {c}" for c in self.rules.states}
        near = process.extract(args.strip().upper(), list(pool), scorer=fuzz.ratio, limit=3) if pool and args else []
        alternatives = tuple(Alternative(f"lookup:{kind}:{k}", pool[k], score / 100) for k, score, _ in near)
        what = {"mod": "modifier", "modifier": "modifier"}.get(kind, kind)
        text = (
            f"*{args.strip() or 'That'}* is not in our {what} table, so I won't guess."
            if kind in ("code", "mod", "modifier", "state")
            else "Usage: `code 97530`, `mod KX`, `units 97110:23 97140:10`, `pair 97140 97530`, `state NY`."
        )
        return Answer(
            question=question,
            status="suggest" if alternatives else "no_match",
            answer=text,
            alternatives=alternatives,
            kind="rule",
        )


def _code_parts(info: CodeInfo) -> _Parts:
    timing = (
        "*timed* — billed in 15-minute units under the 8-minute rule (direct one-on-one minutes only)"
        if info.timed
        else "*untimed* (service-based) — 1 unit per session regardless of minutes"
    )
    text = f"*{info.code} — {info.name}*: {timing}.\n{info.descriptor}"
    if info.notes:
        text += f"\n{info.notes}"
    return _Parts(text, info.sources, info.reviewed)


def _modifier_parts(info: ModifierInfo) -> _Parts:
    text = f"*{info.modifier} — {info.name}.* {info.meaning}"
    if info.use_when:
        text += f"\n• When: {info.use_when}"
    if info.not_with:
        text += f"\n• Not on the same line with: {', '.join(info.not_with)}"
    if info.notes:
        text += f"\n{info.notes}"
    depends = ("payer",) if info.payers and "any" not in info.payers else ()
    return _Parts(text, info.sources, info.reviewed, depends)
