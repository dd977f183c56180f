"""Sparse TF-IDF vectors with numpy: a feature space fitted once on the phrasings, and feature-major postings.

Only the string -> id mapping is a Python loop (a word's character n-grams are looked up once per distinct word);
counting, idf, normalisation and the postings are numpy over all (phrasing, feature) pairs at once, so building the
index for 50,000 phrasings takes about a second instead of a minute.

A vector has two groups of features, word n-grams and character n-grams inside words; each group is L2-normalised on
its own. Fitted rows are also scaled by their group weight and questions are not, so a question's dot product with
a row is `w_word * cos_word + w_char * cos_char`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHAR_CACHE_LIMIT = 50_000


def word_features(tokens: Sequence[str]) -> list[str]:
    """Word unigrams and bigrams."""
    return [*tokens, *(f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False))]


@dataclass(frozen=True)
class CharGrams:
    """Which words get character n-grams, and which sizes: picklable, so a fitted space can be cached."""

    sizes: tuple[int, ...] = (3, 4)
    alpha_only: bool = True

    def __call__(self, word: str) -> list[str]:
        if self.alpha_only and not word.isalpha():
            return []
        padded = f" {word} "
        return ["#" + padded[i : i + n] for n in self.sizes for i in range(len(padded) - n + 1)]


@dataclass(frozen=True)
class Csr:
    """Row vectors: row r has features ids[indptr[r]:indptr[r+1]] with values vals[...]."""

    indptr: np.ndarray
    ids: np.ndarray
    vals: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def row_of(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_rows, dtype=np.int64), np.diff(self.indptr))


class FeatureSpace:
    """Vocabulary + smoothed idf over word and character n-grams; `fit` once, then `transform` per question."""

    def __init__(self, chars: CharGrams, word_weight: float = 1.0, char_weight: float = 1.0):
        self.chars = chars
        self.weights = np.asarray([word_weight, char_weight], dtype=np.float32)
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.is_char = np.zeros(0, dtype=bool)
        self._char_ids: dict[str, np.ndarray] = {}

    @property
    def n_features(self) -> int:
        return len(self.vocab)

    def fit(self, docs: Sequence[Sequence[str]]) -> Csr:
        """Vocabulary and idf from `docs` (token tuples); returns their vectors.

        Python touches each token once (a dict lookup) and each distinct word's character n-grams once; bigrams,
        n-gram expansion, counting and weighting are numpy over all tokens at once.
        """
        tok_index: dict[str, int] = {}
        add = tok_index.setdefault
        flat = [add(t, len(tok_index)) for toks in docs for t in toks]
        lengths = np.fromiter((len(toks) for toks in docs), dtype=np.int64, count=len(docs))
        tok = np.asarray(flat, dtype=np.int64)
        tok_doc = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        distinct = list(tok_index)
        n_tok = len(distinct)
        # bigrams: consecutive tokens of the same doc
        same = tok_doc[1:] == tok_doc[:-1] if len(tok) else np.zeros(0, dtype=bool)
        pair_keys = (tok[:-1] * max(n_tok, 1) + tok[1:])[same] if len(tok) else tok
        pairs, pair_inv = np.unique(pair_keys, return_inverse=True)
        bigram_doc = tok_doc[:-1][same] if len(tok) else tok
        # character n-grams: per distinct word once, then expanded over its occurrences
        gram_index: dict[str, int] = {}
        gadd = gram_index.setdefault
        per_word = [[gadd(g, len(gram_index)) for g in self.chars(w)] for w in distinct]
        gptr = np.concatenate([[0], np.cumsum([len(g) for g in per_word])]).astype(np.int64)
        gids = np.asarray([i for g in per_word for i in g], dtype=np.int64)
        glen = gptr[tok + 1] - gptr[tok]
        total = int(glen.sum())
        gpos = np.repeat(gptr[tok] - (np.cumsum(glen) - glen), glen) + np.arange(total)
        base_bigram, base_char = n_tok, n_tok + len(pairs)
        feat_of = np.concatenate([tok, base_bigram + pair_inv.reshape(-1), base_char + gids[gpos]])
        doc_of = np.concatenate([tok_doc, bigram_doc, np.repeat(tok_doc, glen)])
        vocab = dict(tok_index)
        for k, key in enumerate(pairs.tolist()):
            vocab[f"{distinct[key // n_tok]}_{distinct[key % n_tok]}"] = base_bigram + k
        for gram, k in gram_index.items():
            vocab[gram] = base_char + k
        n_feat, n_docs = len(vocab), len(docs)
        keys, tf = np.unique(doc_of * max(n_feat, 1) + feat_of, return_counts=True)
        doc, feat = keys // max(n_feat, 1), keys % max(n_feat, 1)
        df = np.bincount(feat, minlength=n_feat)
        self.vocab = vocab
        self.idf = (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)
        self.is_char = np.zeros(n_feat, dtype=bool)
        self.is_char[base_char:] = True
        self._char_ids = {}
        vals = (1.0 + np.log(tf.astype(np.float32))) * self.idf[feat]
        group = doc * 2 + self.is_char[feat]
        norms = np.sqrt(np.bincount(group, weights=vals.astype(np.float64) ** 2, minlength=2 * n_docs))
        vals = (vals * self.weights[self.is_char[feat].astype(np.intp)] / np.maximum(norms[group], 1e-12)).astype(
            np.float32
        )
        indptr = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n_docs))]).astype(np.int64)
        return Csr(indptr, feat.astype(np.int64), vals)

    def transform(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """A question's vector (ids, values), each group unit length (unweighted); unseen features are dropped."""
        vocab = self.vocab
        parts, vals = [], []
        pairs = [(vocab[f], k) for f, k in Counter(word_features(tokens)).items() if f in vocab]
        if pairs:
            idx = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
            v = (1.0 + np.log(np.fromiter((p[1] for p in pairs), dtype=np.float32, count=len(pairs)))) * self.idf[idx]
            parts.append(idx)
            vals.append(v / math.sqrt(float(v @ v)))
        if tokens:
            ids = np.concatenate([self._chars_of(t) for t in tokens])
            if len(ids):
                idx, counts = np.unique(ids, return_counts=True)
                v = (1.0 + np.log(counts.astype(np.float32))) * self.idf[idx]
                parts.append(idx)
                vals.append(v / math.sqrt(float(v @ v)))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(parts), np.concatenate(vals).astype(np.float32)

    def _chars_of(self, word: str) -> np.ndarray:
        ids = self._char_ids.get(word)
        if ids is None:
            vocab = self.vocab
            ids = np.fromiter((vocab[g] for g in self.chars(word) if g in vocab), dtype=np.int64)
            if len(self._char_ids) < CHAR_CACHE_LIMIT:  # dict assignment is atomic: safe across threads
                self._char_ids[word] = ids
        return ids

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_char_ids"] = {}
        return state


class Postings:
    """Rows stored feature-major, for dot products of one query with every row (np.bincount over the postings).

    Features found in more than `max_df` of the rows (when that is more than `min_skip` rows) are left out: their
    postings are the longest and tell the least, and dropping them bounds the cost per question as the
    knowledge grows.
    """

    def __init__(self, rows: Csr, n_features: int, max_df: float = 1.0, min_skip: int = 1000):
        feat, vals, row_of = rows.ids, rows.vals, rows.row_of()
        df = np.bincount(feat, minlength=n_features)
        self.keep = df <= max(max_df * rows.n_rows, min_skip)
        sel = self.keep[feat]
        feat, vals, row_of = feat[sel], vals[sel], row_of[sel]
        order = np.argsort(feat, kind="stable")
        self.rows = row_of[order].astype(np.int32)
        self.vals = vals[order].astype(np.float32)
        self.ptr = np.concatenate([[0], np.cumsum(np.bincount(feat, minlength=n_features))]).astype(np.int64)
        self.n_rows = rows.n_rows

    def dot(self, ids: np.ndarray, vals: np.ndarray) -> np.ndarray:
        out_len = self.n_rows
        if not len(ids):
            return np.zeros(out_len, dtype=np.float64)
        keep = self.keep[ids]
        ids, vals = ids[keep], vals[keep]
        lo = self.ptr[ids]
        lens = self.ptr[ids + 1] - lo
        total = int(lens.sum())
        if not total:
            return np.zeros(out_len, dtype=np.float64)
        offsets = np.cumsum(lens) - lens
        pos = np.repeat(lo - offsets, lens) + np.arange(total)
        return np.bincount(self.rows[pos], weights=self.vals[pos] * np.repeat(vals, lens), minlength=out_len)


def group_sum(rows: Csr, owner: np.ndarray, n_groups: int, n_features: int, only: np.ndarray | None = None) -> Csr:
    """Sum of the rows of each group (owner[row] = group), L2-normalised: an entry's centroid over its phrasings."""
    feat, vals, row_of = rows.ids, rows.vals, rows.row_of()
    if only is not None:
        sel = only[feat]
        feat, vals, row_of = feat[sel], vals[sel], row_of[sel]
    keys, inverse = np.unique(owner[row_of] * max(n_features, 1) + feat, return_inverse=True)
    sums = np.bincount(inverse, weights=vals.astype(np.float64), minlength=len(keys))
    group, feat = keys // max(n_features, 1), keys % max(n_features, 1)
    norms = np.sqrt(np.bincount(group, weights=sums**2, minlength=n_groups))
    sums = (sums / np.maximum(norms[group], 1e-12)).astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=n_groups))]).astype(np.int64)
    return Csr(indptr, feat.astype(np.int64), sums)
