"""FAQ matching: TF-IDF nearest phrasing + entry centroid, blended with a learned classifier; entities must agree.

- Nearest phrasing: cosine over word 1-2-grams and character 3-4-grams of every phrasing (bot.core.vectors).
- Centroid: cosine with the sum of an entry's phrasings, so an entry learns from every way it was asked.
- Learned: softmax regression over all phrasings (bot.core.learned), blended geometrically with the TF-IDF score;
  skipped for very large knowledge bases (its dense weights would not fit), where TF-IDF alone answers.
- Entities (codes, modifiers, states, payers) must agree: a question about 97112 never lands on an entry about 97110.
- rapidfuzz fixes typos against the indexed vocabulary first ('modifer' -> 'modifier').
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.learned import LearnedClassifier
from bot.core.models import Entry
from bot.core.text import Analysis, Synonyms, normalize, words
from bot.core.vectors import CharGrams, FeatureSpace, Postings, group_sum

OUT_OF_SCOPE_ID = "__out_of_scope__"
CODE_MISMATCH_FACTOR = 0.45
CODE_ABSENT_FACTOR = 0.8
MODIFIER_MISMATCH_FACTOR = 0.7
STATE_MISMATCH_FACTOR = 0.6
PAYER_MISMATCH_FACTOR = 0.85
CHAR_WEIGHT = 0.35
CENTROID_WEIGHT = 0.35
LEARNED_WEIGHT = 0.5
TYPO_CUTOFF = 82
POSTINGS_MAX_DF = 0.02  # features in more than 2% of the phrasings (and 1,000+ of them) are skipped


@dataclass(frozen=True)
class Match:
    entry: Entry | None  # None for the out-of-scope class
    score: float

    @property
    def entry_id(self) -> str:
        return self.entry.id if self.entry else OUT_OF_SCOPE_ID


class _EntityIndex:
    """Which classes carry which codes, modifiers, states and payers, as boolean arrays for the veto."""

    def __init__(self, entries: Sequence[Entry], n_classes: int):
        self.n_classes = n_classes
        self.codes: dict[str, list[int]] = {}
        self.mods: dict[str, list[int]] = {}
        self.states: dict[str, list[int]] = {}
        self.payers: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            for c in e.codes:
                (self.codes if len(c) == 5 else self.mods if len(c) == 2 else {}).setdefault(c, []).append(i)
            for s in e.states:
                self.states.setdefault(s, []).append(i)
            for p in set(e.payers) - {"any"}:
                self.payers.setdefault(p, []).append(i)
        self.has = {name: self._mask(getattr(self, name).values()) for name in ("codes", "mods", "states", "payers")}

    def _mask(self, groups: Iterable[list[int]]) -> np.ndarray:
        mask = np.zeros(self.n_classes, dtype=bool)
        for g in groups:
            mask[g] = True
        return mask

    def matching(self, name: str, values: Iterable[str]) -> np.ndarray:
        table = getattr(self, name)
        return self._mask(table[v] for v in values if v in table)


class Matcher:
    """Built once per KnowledgeBase; `rank` is pure and thread-safe."""

    def __init__(self, entries: Sequence[Entry], synonyms: Synonyms, out_of_scope: Iterable[str] = ()):
        self.entries = list(entries)
        self.synonyms = synonyms
        self.classes: list[Entry | None] = [*self.entries]
        texts = [(cls, normalize(p, synonyms)) for cls, e in enumerate(self.entries) for p in e.all_phrasings]
        oos = [normalize(q, synonyms) for q in out_of_scope]
        if oos:
            self.classes.append(None)
            texts.extend((len(self.classes) - 1, n) for n in oos)
        owner = [cls for cls, _ in texts]
        docs = [toks for _, (_, toks) in texts]  # stemmed, stopwords out: for the TF-IDF index
        n_classes = len(self.classes)
        self._owner = np.asarray(owner, dtype=np.int64)
        self._starts = np.flatnonzero(np.r_[True, self._owner[1:] != self._owner[:-1]]) if owner else self._owner
        self._present = self._owner[self._starts]
        self._entities = _EntityIndex(self.entries, n_classes)

        self.space = FeatureSpace(CharGrams((3, 4), alpha_only=True), 1.0 - CHAR_WEIGHT, CHAR_WEIGHT)
        rows = self.space.fit(docs)
        self._phrasings = Postings(rows, self.space.n_features, max_df=POSTINGS_MAX_DF)
        centroids = group_sum(rows, self._owner, n_classes, self.space.n_features, only=~self.space.is_char)
        self._centroids = Postings(centroids, self.space.n_features)

        self.learned: LearnedClassifier | None = None
        if docs and LearnedClassifier.may_fit(len(self.space.vocab), n_classes):
            full = [words(text) for _, (text, _) in texts]  # every word, stopwords kept: for the learned model
            self.learned = LearnedClassifier().fit(full, owner, n_classes)

        vocabulary = sorted(w for w in self.space.vocab if len(w) >= 4 and w.isalpha())  # indexed words
        self._vocab_set = frozenset(vocabulary)
        self._by_length: dict[int, list[str]] = {}
        for word in vocabulary:
            self._by_length.setdefault(len(word), []).append(word)

    @property
    def vocabulary(self) -> list[str]:
        return sorted(self._vocab_set)

    def correct_typos(self, tokens: Sequence[str]) -> list[str]:
        """Replace unknown words by the nearest indexed word ('modifer' -> 'modifier'), via rapidfuzz.

        Only words whose length allows a ratio over the cutoff are compared, which keeps this cheap for large
        vocabularies.
        """
        fixed = []
        for tok in tokens:
            if len(tok) >= 5 and tok.isalpha() and tok not in self._vocab_set:
                cut = TYPO_CUTOFF / 100
                lo, hi = int(len(tok) * cut / (2 - cut)), int(len(tok) * (2 - cut) / cut) + 1
                pool = [w for n in range(lo, hi + 1) for w in self._by_length.get(n, ())]
                best = process.extractOne(tok, pool, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF) if pool else None
                if best is not None:
                    tok = best[0]
            fixed.append(tok)
        return fixed

    def scores(self, analysis: Analysis) -> np.ndarray | None:
        """One score in [0, 1] per class (entries, then the out-of-scope class if any); None for an empty query."""
        tokens = self.correct_typos(analysis.tokens)
        ids, vals = self.space.transform(tokens)
        if not len(ids):
            return None
        best_phrase = np.zeros(len(self.classes), dtype=np.float64)
        best_phrase[self._present] = np.maximum.reduceat(self._phrasings.dot(ids, vals), self._starts)
        word_part = ~self.space.is_char[ids]
        centroid = self._centroids.dot(ids[word_part], vals[word_part])
        scores = np.clip((1.0 - CENTROID_WEIGHT) * best_phrase + CENTROID_WEIGHT * centroid, 0.0, 1.0)
        if self.learned is not None:
            p = self.learned.probabilities(words(analysis.text))
            scores = scores ** (1.0 - LEARNED_WEIGHT) * p**LEARNED_WEIGHT
        return scores * self._agreement(analysis)

    def rank(self, analysis: Analysis, limit: int = 5) -> list[Match]:
        scores = self.scores(analysis)
        if scores is None:
            return []
        top = np.argpartition(-scores, limit)[:limit] if len(scores) > limit else np.arange(len(scores))
        order = top[np.argsort(-scores[top], kind="stable")]
        return [Match(self.classes[i], float(scores[i])) for i in order if scores[i] > 0]

    def _agreement(self, analysis: Analysis) -> np.ndarray:
        factors = np.ones(len(self.classes), dtype=np.float64)
        if not (analysis.codes or analysis.modifiers or analysis.states or analysis.payers):
            return factors
        ent = self._entities
        has = ent.has
        code_match = ent.matching("codes", analysis.codes)
        if analysis.codes:
            factors[has["codes"] & ~code_match] *= CODE_MISMATCH_FACTOR
            if any(c in ent.codes for c in analysis.codes):
                factors[~has["codes"]] *= CODE_ABSENT_FACTOR
        if analysis.modifiers:
            factors[has["mods"] & ~ent.matching("mods", analysis.modifiers) & ~code_match] *= MODIFIER_MISMATCH_FACTOR
        if analysis.states:
            factors[has["states"] & ~ent.matching("states", analysis.states)] *= STATE_MISMATCH_FACTOR
        if analysis.payers:
            factors[has["payers"] & ~ent.matching("payers", analysis.payers)] *= PAYER_MISMATCH_FACTOR
        if len(self.classes) > len(self.entries):
            factors[len(self.entries) :] = 1.0  # the out-of-scope class carries no entities
        return factors
