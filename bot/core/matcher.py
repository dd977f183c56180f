"""FAQ matching: a TF-IDF index over every phrasing, built once, scored with numpy; rapidfuzz fixes typos.

Scores combine the nearest phrasing (word and character n-grams) with the entry's centroid over all its
phrasings, so an entry learns from every way it was asked. Entities (codes, modifiers, states, payers) must
agree: a question about 97112 never lands on an entry about 97110.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.models import Entry
from bot.core.text import Analysis, Synonyms, char_ngrams, normalize, word_ngrams

OUT_OF_SCOPE_ID = "__out_of_scope__"
CODE_MISMATCH_FACTOR = 0.45
CODE_ABSENT_FACTOR = 0.8
MODIFIER_MISMATCH_FACTOR = 0.7
STATE_MISMATCH_FACTOR = 0.6
PAYER_MISMATCH_FACTOR = 0.85
CHAR_WEIGHT = 0.35
CENTROID_WEIGHT = 0.35


@dataclass(frozen=True)
class Match:
    entry: Entry | None  # None for the out-of-scope class
    score: float

    @property
    def entry_id(self) -> str:
        return self.entry.id if self.entry else OUT_OF_SCOPE_ID


class _SparseIndex:
    """Rows of L2-normalised sparse vectors stored feature-major (CSC-like); dot products by np.bincount."""

    def __init__(self, rows: Sequence[dict[str, float]]):
        self.n_rows = len(rows)
        triples = sorted((feat, i, w) for i, row in enumerate(rows) for feat, w in row.items())
        self.rows = np.fromiter((t[1] for t in triples), dtype=np.int32, count=len(triples))
        self.weights = np.fromiter((t[2] for t in triples), dtype=np.float32, count=len(triples))
        self.spans: dict[str, tuple[int, int]] = {}
        start = 0
        for k in range(1, len(triples) + 1):
            if k == len(triples) or triples[k][0] != triples[start][0]:
                self.spans[triples[start][0]] = (start, k)
                start = k

    def dot(self, query: dict[str, float]) -> np.ndarray:
        idx_parts, w_parts = [], []
        for feat, qw in query.items():
            span = self.spans.get(feat)
            if span is not None:
                idx_parts.append(self.rows[span[0] : span[1]])
                w_parts.append(self.weights[span[0] : span[1]] * qw)
        if not idx_parts:
            return np.zeros(self.n_rows, dtype=np.float64)
        return np.bincount(np.concatenate(idx_parts), weights=np.concatenate(w_parts), minlength=self.n_rows)


def _normalize(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {k: v / norm for k, v in vec.items()} if norm else {}


class Matcher:
    """Built once per KnowledgeBase; `rank` is pure and thread-safe."""

    def __init__(self, entries: Sequence[Entry], synonyms: Synonyms, out_of_scope: Iterable[str] = ()):
        self.entries = list(entries)
        self.synonyms = synonyms
        self.classes: list[Entry | None] = [*self.entries]
        docs: list[list[tuple[str, ...]]] = [[normalize(p, synonyms)[1] for p in e.all_phrasings] for e in self.entries]
        oos = [normalize(q, synonyms)[1] for q in out_of_scope]
        if oos:
            self.classes.append(None)
            docs.append(oos)
        self._entry_codes = [self._entity_sets(e) for e in self.entries]
        self._known_codes = {c for codes, _, _, _ in self._entry_codes for c in codes}

        word_docs = [[Counter(word_ngrams(toks)) for toks in d] for d in docs]
        char_docs = [[Counter(char_ngrams(t for t in toks if t.isalpha())) for toks in d] for d in docs]
        self._word_idf = self._idf(word_docs)
        self._char_idf = self._idf(char_docs)
        self.vocabulary = sorted({t for d in docs for toks in d for t in toks if t.isalpha() and len(t) >= 4})
        self._vocab_set = set(self.vocabulary)

        phrase_owner: list[int] = []
        word_rows, char_rows, centroid_rows = [], [], []
        for cls, (wd, cd) in enumerate(zip(word_docs, char_docs, strict=True)):
            centroid: Counter[str] = Counter()
            for w, c in zip(wd, cd, strict=True):
                wv = self._vector(w, self._word_idf)
                word_rows.append(wv)
                char_rows.append(self._vector(c, self._char_idf))
                phrase_owner.append(cls)
                for k, v in wv.items():
                    centroid[k] += v
            centroid_rows.append(_normalize(dict(centroid)))
        self._owner = np.asarray(phrase_owner, dtype=np.int32)
        self._starts = np.flatnonzero(np.r_[True, self._owner[1:] != self._owner[:-1]])
        self._word = _SparseIndex(word_rows)
        self._char = _SparseIndex(char_rows)
        self._centroid = _SparseIndex(centroid_rows)

    @staticmethod
    def _idf(docs: list[list[Counter[str]]]) -> dict[str, float]:
        df: Counter[str] = Counter()
        for doc in docs:
            df.update({f for c in doc for f in c})
        n = len(docs)
        return {f: math.log((n + 1) / (d + 1)) + 1.0 for f, d in df.items()}

    @staticmethod
    def _vector(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
        return _normalize({f: (1.0 + math.log(c)) * idf.get(f, 0.0) for f, c in counts.items() if f in idf})

    @staticmethod
    def _entity_sets(entry: Entry) -> tuple[set[str], set[str], set[str], set[str]]:
        codes = {c for c in entry.codes if len(c) == 5}
        mods = {c for c in entry.codes if len(c) == 2}
        payers = set(entry.payers) - {"any"}
        return codes, mods, set(entry.states), payers

    def correct_typos(self, tokens: Sequence[str]) -> list[str]:
        """Replace unknown words by the nearest indexed word ('modifer' -> 'modifier'), via rapidfuzz."""
        fixed = []
        for tok in tokens:
            if len(tok) >= 5 and tok.isalpha() and tok not in self._vocab_set and self.vocabulary:
                best = process.extractOne(tok, self.vocabulary, scorer=fuzz.ratio, score_cutoff=82)
                if best is not None:
                    tok = best[0]
            fixed.append(tok)
        return fixed

    def rank(self, analysis: Analysis, limit: int = 5) -> list[Match]:
        tokens = self.correct_typos(analysis.tokens)
        qw = self._vector(Counter(word_ngrams(tokens)), self._word_idf)
        qc = self._vector(Counter(char_ngrams(t for t in tokens if t.isalpha())), self._char_idf)
        if not qw and not qc:
            return []
        phrase = (1.0 - CHAR_WEIGHT) * self._word.dot(qw) + CHAR_WEIGHT * self._char.dot(qc)
        best_phrase = np.maximum.reduceat(phrase, self._starts)
        scores = (1.0 - CENTROID_WEIGHT) * best_phrase + CENTROID_WEIGHT * self._centroid.dot(qw)
        scores = scores * self._agreement(analysis)
        order = np.argsort(-scores)[:limit]
        return [Match(self.classes[i], float(scores[i])) for i in order if scores[i] > 0]

    def _agreement(self, analysis: Analysis) -> np.ndarray:
        factors = np.ones(len(self.classes), dtype=np.float64)
        q_codes, q_mods = set(analysis.codes), set(analysis.modifiers)
        q_states, q_payers = set(analysis.states), set(analysis.payers)
        if not (q_codes or q_mods or q_states or q_payers):
            return factors
        for i, (codes, mods, states, payers) in enumerate(self._entry_codes):
            f = 1.0
            if q_codes and codes and not (q_codes & codes):
                f *= CODE_MISMATCH_FACTOR
            elif q_codes and not codes and q_codes & self._known_codes:
                f *= CODE_ABSENT_FACTOR
            if q_mods and mods and not (q_mods & mods) and not (q_codes & codes):
                f *= MODIFIER_MISMATCH_FACTOR
            if q_states and states and not (q_states & states):
                f *= STATE_MISMATCH_FACTOR
            if q_payers and payers and not (q_payers & payers):
                f *= PAYER_MISMATCH_FACTOR
            factors[i] = f
        return factors
