"""Score a question set (the ../shared/eval/dev.yaml format) against an Answerer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.answerer import Answerer
from bot.core.models import Answer

_EXACT_TOKEN = re.compile(r"^[A-Z0-9$,.]{2,8}$")


@dataclass(frozen=True)
class Case:
    q: str
    kind: str
    must_include: tuple[str, ...]
    topic: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    answer: Answer
    right: bool
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]

    def _rate(self, in_scope: bool) -> tuple[int, int]:
        chosen = [o for o in self.outcomes if (o.case.kind != "out_of_scope") == in_scope]
        return sum(o.right for o in chosen), len(chosen)

    @property
    def answered_right(self) -> tuple[int, int]:
        return self._rate(True)

    @property
    def declined(self) -> tuple[int, int]:
        return self._rate(False)

    @staticmethod
    def pct(pair: tuple[int, int]) -> float:
        return 100.0 * pair[0] / pair[1] if pair[1] else 100.0

    def summary(self) -> str:
        a, d = self.answered_right, self.declined
        return (
            f"answered right {self.pct(a):.1f}% ({a[0]}/{a[1]}); "
            f"out-of-scope declined {self.pct(d):.1f}% ({d[0]}/{d[1]})"
        )


def load_cases(path: Path) -> list[Case]:
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of questions")
    cases = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}: item {i + 1} needs a 'q' text")
        cases.append(
            Case(
                item["q"],
                str(item.get("kind", "in_scope")),
                tuple(str(x) for x in item.get("must_include") or ()),
                str(item.get("topic", "")),
            )
        )
    return cases


def item_satisfied(item: str, text: str) -> bool:
    """One must_include item; ' | ' separates alternatives. Codes and amounts match as case-sensitive words."""
    for alt in (a.strip() for a in item.split(" | ")):
        if not alt:
            continue
        if _EXACT_TOKEN.match(alt):
            if re.search(r"(?<![A-Za-z0-9])" + re.escape(alt) + r"(?![A-Za-z0-9])", text):
                return True
        elif alt.lower() in text.lower():
            return True
    return False


def answer_text(answer: Answer) -> str:
    parts = [answer.answer or ""]
    parts += [f"{s.title} {s.publisher}" for s in answer.sources]
    return "\n".join(parts)


def score(case: Case, answer: Answer) -> Outcome:
    if case.kind == "out_of_scope":
        return Outcome(case, answer, answer.status != "answered", ())
    if answer.status != "answered":
        return Outcome(case, answer, False, case.must_include)
    text = answer_text(answer)
    missing = tuple(item for item in case.must_include if not item_satisfied(item, text))
    return Outcome(case, answer, not missing, missing)


def evaluate(answerer: Answerer, cases: list[Case]) -> Report:
    return Report(tuple(score(c, answerer.ask(c.q)) for c in cases))
