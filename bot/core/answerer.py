"""Question -> Answer: rules first, then the FAQ matcher; thresholds decide answered / suggest / no_match."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Match, Matcher
from bot.core.models import Alternative, Answer
from bot.core.rules.engine import RuleEngine
from bot.core.text import Analysis, analyze


@dataclass(frozen=True)
class Thresholds:
    """Chosen on ../shared/eval/dev.yaml by bench/calibrate.py (middle of the best plateau of answer thresholds)."""

    answer: float = 0.12
    answer_margin: float = 0.0
    sure: float = 0.3
    suggest: float = 0.1
    out_of_scope_margin: float = 0.0


class Answerer:
    """Holds one KnowledgeBase and its index. Immutable after construction, so safe to share across threads."""

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None):
        self.kb = kb
        self.thresholds = thresholds or Thresholds()
        self.matcher = Matcher(kb.entries, kb.synonyms, kb.scope.examples)
        self.rules = RuleEngine(kb.rules)

    def ask(self, question: str) -> Answer:
        routed = self.route(question)
        return routed if isinstance(routed, Answer) else self.decide(*routed)

    def route(self, question: str) -> Answer | tuple[str, list[Match]]:
        """Everything before the thresholds: a final Answer (rules, empty or out-of-scope question), or the FAQ
        matches still to be decided. Calibration scores many thresholds on one routing."""
        question = (question or "").strip()
        analysis = analyze(question, self.kb.synonyms)
        if not analysis.tokens and not analysis.codes:
            return Answer(question=question, status="no_match")
        ruled = self.rules.answer(question, analysis)
        if ruled is not None:
            return ruled
        if not self.in_scope(analysis):
            return Answer(question=question, status="no_match")
        return question, self.matcher.rank(analysis, limit=8)

    def in_scope(self, analysis: Analysis) -> bool:
        """Billing questions use billing words; clinical advice without them is declined, never guessed."""
        scope = self.kb.scope
        if not scope.domain_terms:
            return True
        words = set(analysis.tokens)
        entities = bool(analysis.codes or analysis.modifiers)
        if not entities and not words & scope.domain_terms:
            return False
        advice = bool(words & scope.advice_terms) or any(
            re.search(p, analysis.original, re.I) for p in scope.advice_patterns
        )
        return not (advice and not entities and not words & scope.billing_terms)

    def lookup(self, kind: str, args: str) -> Answer:
        return self.rules.lookup(kind.lower(), args, analyze(args, self.kb.synonyms))

    def decide(self, question: str, matches: list[Match]) -> Answer:
        t = self.thresholds
        oos = next((m.score for m in matches if m.entry is None), 0.0)
        candidates = [m for m in matches if m.entry is not None]
        if not candidates:
            return Answer(question=question, status="no_match")
        best = candidates[0]
        second = candidates[1].score if len(candidates) > 1 else 0.0
        oos_wins = oos >= best.score + t.out_of_scope_margin
        confident = best.score >= t.answer and (best.score - second >= t.answer_margin or best.score >= t.sure)
        entry = best.entry
        assert entry is not None
        if confident and not oos_wins:
            return Answer(
                question=question,
                status="answered",
                answer=entry.answer,
                sources=entry.sources,
                confidence=min(best.score, 1.0),
                entry_id=entry.id,
                reviewed=entry.reviewed,
                alternatives=self._alternatives(candidates[1:], best.score * 0.8),
                depends_on=entry.depends_on,
            )
        if best.score >= t.suggest and not oos_wins:
            return Answer(
                question=question,
                status="suggest",
                confidence=min(best.score, 1.0),
                alternatives=self._alternatives(candidates, t.suggest * 0.85),
            )
        return Answer(question=question, status="no_match", confidence=min(best.score, 1.0))

    @staticmethod
    def _alternatives(matches: list[Match], floor: float) -> tuple[Alternative, ...]:
        out = []
        for m in matches:
            if m.entry is not None and m.score >= floor and len(out) < 3:
                out.append(Alternative(m.entry.id, m.entry.question, min(m.score, 1.0)))
        return tuple(out)

    def answer_entry(self, entry_id: str, question: str | None = None) -> Answer | None:
        """The answer of one entry, for a 'did you mean' choice."""
        entry = self.kb.entries_by_id.get(entry_id)
        if entry is None:
            return None
        return Answer(
            question=question or entry.question,
            status="answered",
            answer=entry.answer,
            sources=entry.sources,
            confidence=1.0,
            entry_id=entry.id,
            reviewed=entry.reviewed,
            depends_on=entry.depends_on,
        )
