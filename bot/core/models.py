"""Immutable records shared by the core, the CLI and the Slack layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Status = Literal["answered", "suggest", "no_match"]


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    url: str
    date: date | None  # first day of what the source shows, for comparisons
    date_shown: str = ""  # as precise as the source itself: 2024-04-09, 2024-04 or 2024

    @property
    def when(self) -> str:
        return self.date_shown or (self.date.isoformat() if self.date else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "publisher": self.publisher,
            "url": self.url,
            "date": self.date.isoformat() if self.date else None,  # contract: YYYY-MM-DD (month/year: first day)
        }


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    question: str
    phrasings: tuple[str, ...]
    answer: str
    sources: tuple[Source, ...]
    codes: tuple[str, ...]
    payers: tuple[str, ...]
    states: tuple[str, ...]
    depends_on: tuple[str, ...]
    tags: tuple[str, ...]
    reviewed: date
    file: str = ""
    line: int = 0

    @property
    def all_phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.phrasings)


@dataclass(frozen=True)
class Scope:
    """What the bot covers: declined-question examples and the vocabulary of the scope checks."""

    examples: tuple[str, ...] = ()
    domain_terms: frozenset[str] = frozenset()
    advice_terms: frozenset[str] = frozenset()
    billing_terms: frozenset[str] = frozenset()
    advice_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alternative:
    entry_id: str
    question: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "question": self.question, "confidence": round(self.confidence, 3)}


@dataclass(frozen=True)
class Answer:
    question: str
    status: Status
    answer: str | None = None
    sources: tuple[Source, ...] = ()
    confidence: float = 0.0
    entry_id: str | None = None
    reviewed: date | None = None
    alternatives: tuple[Alternative, ...] = ()
    depends_on: tuple[str, ...] = field(default=())
    kind: str = "faq"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "sources": [s.to_dict() for s in self.sources],
            "confidence": round(self.confidence, 3),
            "entry_id": self.entry_id,
            "reviewed": self.reviewed.isoformat() if self.reviewed else None,
            "alternatives": [a.to_dict() for a in self.alternatives],
        }
