"""Prototype: a learned matcher for the FAQ engine, numpy only (no scikit-learn, no scipy at run time).

Idea: learn from every phrasing of every entry which words and word pieces point to which entry, instead of
weighing them by IDF alone; combine the learned probability with the nearest-phrasing similarity the engine has
today; decline (out of scope) when the combined score is low.

- Features: word unigrams + bigrams (stopwords kept: "what is my balance" and "what is the balance" differ) and
  character 2-5-grams inside words (padded, like scikit-learn's `char_wb`: typos, plurals, word forms); sublinear
  tf x smoothed idf, each group L2-normalised. Sparse vectors are index arrays over a vocabulary built from the
  phrasings; a query's unknown features are dropped.
- Model: multinomial logistic regression (softmax over the entries), weights initialised at the scaled class
  centroids (Rocchio), then 3 epochs (at least 60 steps) of mini-batch gradient descent with row-wise Adagrad.
  Each batch is a small dense matrix over the features it uses, so forward and backward are two BLAS products
  and an update touches only those rows of W. No regularisation beyond the few epochs (early stopping).
- Nearest phrasing: cosine of the query with every phrasing through a feature-major inverted index
  (np.bincount over the postings, one vectorised gather), best per entry. Features found in more than 2% of
  the phrasings are left out of the dot product (their postings are the longest and tell the least).
- Score per entry: p(entry | query) ** 0.5 * cos ** 0.5 (geometric blend), p with softmax temperature 2; the
  caller declines when the best score is under a threshold (chosen on validation data). Temperature, blend
  weight and the 2% were chosen on CLINC150 val (bench/experiments/ablation.py).
- Cost: W is a dense (features x entries) float32 matrix: fine for hundreds of entries (the shipped knowledge:
  about 21,000 features x 215 entries = 18 MB), not for 10,000 (it would need a sparse or hashed W, or a
  shortlist from the current index first).

API: `LearnedMatcher().fit(entries)`; `score(tokens(text)) -> np.ndarray`, one score per entry in the order of
`entries`. Entries are anything with `all_phrasings` (bot.core.models.Entry). Immutable after fit (thread-safe).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text or "").lower().replace("’", "'")
    return tuple(_WORD_RE.findall(text))


def word_features(toks: Sequence[str]) -> list[str]:
    return [*toks, *(f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False))]


def char_features(word: str, lo: int = 2, hi: int = 5) -> list[str]:
    """Character n-grams of one word, padded with spaces and marked with a leading '#'."""
    padded = f" {word} "
    return ["#" + padded[i : i + n] for n in range(lo, min(hi, len(padded)) + 1) for i in range(len(padded) - n + 1)]


class _Vectorizer:
    """Vocabulary + idf for two feature groups; yields (indices, values), each group L2-normalised."""

    def __init__(self, char_weight: float = 1.0):
        self.char_weight = char_weight
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.is_word = np.zeros(0, dtype=bool)
        self._cache: dict[str, np.ndarray] = {}  # word -> its char-gram ids (dict ops are atomic: thread-safe)

    def fit(self, docs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vocabulary and idf from `docs`; returns their vectors as CSR arrays (indptr, indices, values).

        Only the string -> id mapping is a Python loop (char n-grams generated once per distinct word);
        counting, idf and normalisation are numpy over all (doc, feature) pairs at once.
        """
        vocab: dict[str, int] = {}
        add = vocab.setdefault
        char_ids: dict[str, list[int]] = {}
        doc_of, feat_of = [], []
        for d, toks in enumerate(docs):
            ids = [add(f, len(vocab)) for f in word_features(toks)]
            for t in toks:
                cids = char_ids.get(t)
                if cids is None:
                    cids = char_ids[t] = [add(g, len(vocab)) for g in char_features(t)]
                ids.extend(cids)
            feat_of.extend(ids)
            doc_of.extend([d] * len(ids))
        n_feat, n_docs = len(vocab), len(docs)
        keys, tf = np.unique(np.asarray(doc_of, dtype=np.int64) * n_feat + np.asarray(feat_of), return_counts=True)
        doc, feat = keys // n_feat, keys % n_feat
        df = np.bincount(feat, minlength=n_feat)
        self.vocab = vocab
        self.idf = (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)
        self.is_word = np.ones(n_feat, dtype=bool)
        self.is_word[[i for f, i in vocab.items() if f.startswith("#")]] = False
        self._cache = {}
        val = (1.0 + np.log(tf.astype(np.float32))) * self.idf[feat]
        group = doc * 2 + (~self.is_word[feat])
        norms = np.sqrt(np.bincount(group, weights=val.astype(np.float64) ** 2, minlength=2 * n_docs))
        weight = np.where(self.is_word[feat], 1.0, self.char_weight)
        val = (val * weight / np.maximum(norms[group], 1e-12)).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n_docs))])
        return indptr, feat.astype(np.intp), val

    def transform(self, toks: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """A query's vector; char-gram ids are cached per word (bounded), so a known word costs one lookup."""
        vocab = self.vocab
        wpairs = [(vocab[f], k) for f, k in Counter(word_features(toks)).items() if f in vocab]
        parts, vals = [], []
        if wpairs:
            idx = np.fromiter((p[0] for p in wpairs), dtype=np.intp, count=len(wpairs))
            tf = 1.0 + np.log(np.fromiter((p[1] for p in wpairs), dtype=np.float32, count=len(wpairs)))
            v = tf * self.idf[idx]
            parts.append(idx)
            vals.append(v / float(np.sqrt(np.dot(v, v))))
        if self.char_weight > 0 and toks:
            ids = np.concatenate([self._char_ids(t) for t in toks])
            if len(ids):
                idx, counts = np.unique(ids, return_counts=True)
                v = (1.0 + np.log(counts.astype(np.float32))) * self.idf[idx]
                parts.append(idx)
                vals.append(v * (self.char_weight / float(np.sqrt(np.dot(v, v)))))
        if not parts:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        return np.concatenate(parts), np.concatenate(vals).astype(np.float32)

    def _char_ids(self, word: str) -> np.ndarray:
        ids = self._cache.get(word)
        if ids is None:
            vocab = self.vocab
            ids = np.fromiter((vocab[g] for g in char_features(word) if g in vocab), dtype=np.intp)
            if len(self._cache) < 50_000:
                self._cache[word] = ids
        return ids


class LearnedMatcher:
    """fit(entries) once (at start-up); score(tokens) per question."""

    def __init__(
        self,
        epochs: int = 3,
        min_steps: int = 60,
        max_epochs: int = 20,
        batch: int = 64,
        lr: float = 0.5,
        init_scale: float = 20.0,
        char_weight: float = 1.0,
        knn_weight: float = 0.5,
        knn_words_only: bool = False,
        knn_max_df: float = 0.02,
        temperature: float = 2.0,
        seed: int = 0,
    ):
        self.epochs, self.min_steps, self.max_epochs = epochs, min_steps, max_epochs
        self.batch, self.lr, self.init_scale = batch, lr, init_scale
        self.knn_weight, self.temperature = knn_weight, temperature
        self.knn_words_only = knn_words_only
        self.knn_max_df = knn_max_df
        self.seed = seed
        self.vec = _Vectorizer(char_weight)
        self.tokens = tokens

    # ------------------------------------------------------------------ training

    def fit(self, entries: Sequence[object]) -> LearnedMatcher:
        docs, owner = [], []
        for ci, e in enumerate(entries):
            for p in e.all_phrasings:  # type: ignore[attr-defined]
                toks = tokens(p)
                if toks:
                    docs.append(toks)
                    owner.append(ci)
        self.n_classes = len(entries)
        indptr, feat, val = self.vec.fit(docs)
        y = np.asarray(owner, dtype=np.int64)
        row_of = np.repeat(np.arange(len(docs), dtype=np.int64), np.diff(indptr))
        self._n_rows = len(docs)
        # phrasings are grouped by entry, so the best per entry is a reduceat over entry starts
        self._class_starts = np.flatnonzero(np.r_[True, y[1:] != y[:-1]])
        self._classes_present = y[self._class_starts]
        if self.knn_weight > 0:
            self._build_postings(feat, val, row_of)
        self.W, self.b = self._train(indptr, feat, val, row_of, y)
        return self

    def _build_postings(self, feat: np.ndarray, val: np.ndarray, row_of: np.ndarray) -> None:
        """Feature-major postings of all phrasings, for the nearest-phrasing cosine."""
        n_feat = len(self.vec.vocab)
        # features left out of the cosine: char n-grams (words_only), or the commonest ones, whose postings are
        # the longest and tell the least (max_df: a fraction of the phrasings)
        self._knn_keep = self.vec.is_word.copy() if self.knn_words_only else np.ones(n_feat, dtype=bool)
        self._knn_keep &= np.bincount(feat, minlength=n_feat) <= self.knn_max_df * self._n_rows
        keep = self._knn_keep[feat]
        feat, val, row_of = feat[keep], val[keep], row_of[keep]
        order = np.argsort(feat, kind="stable")
        self._post_rows = row_of[order].astype(np.int32)
        self._post_vals = val[order]
        counts = np.bincount(feat, minlength=n_feat)
        self._post_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def _train(self, indptr, feat, val, row_of, y):
        """Softmax regression from a Rocchio start; mini-batches, row-wise Adagrad (one step size per feature).

        Each batch becomes once a small dense matrix over the features it uses (batch x unique features), so
        forward and backward are two BLAS products and an update touches only those rows of W. Batches are
        fixed; their order is shuffled every epoch.
        """
        rng = np.random.default_rng(self.seed)
        n, c, n_feat = len(y), self.n_classes, len(self.vec.vocab)
        # W[f, c] = init_scale * mean over c's phrasings of x_f
        W = np.bincount(feat * c + y[row_of], weights=val, minlength=n_feat * c).astype(np.float32)
        W = W.reshape(n_feat, c)
        W *= (self.init_scale / np.maximum(np.bincount(y, minlength=c), 1)).astype(np.float32)
        b = np.zeros(c, dtype=np.float32)
        H = np.full(n_feat, 1e-6, dtype=np.float32)
        order = rng.permutation(n)
        batches = []
        for s in range(0, n, self.batch):
            sel = order[s : s + self.batch]
            lens = indptr[sel + 1] - indptr[sel]
            starts = np.repeat(indptr[sel] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
            pos = starts + np.arange(int(lens.sum()))
            feats, inv = np.unique(feat[pos], return_inverse=True)
            x = np.zeros((len(sel), len(feats)), dtype=np.float32)
            x[np.repeat(np.arange(len(sel)), lens), inv] = val[pos]
            batches.append((feats, x, y[sel]))
        epochs = min(max(self.epochs, math.ceil(self.min_steps / max(len(batches), 1))), self.max_epochs)
        self.epochs_run = epochs
        lr = np.float32(self.lr)
        for _ in range(epochs):
            for bi in rng.permutation(len(batches)):
                feats, x, yb = batches[bi]
                wu = W[feats]
                z = x @ wu
                z += b
                z -= z.max(axis=1, keepdims=True)
                np.exp(z, out=z)
                z /= z.sum(axis=1, keepdims=True)
                z[np.arange(len(yb)), yb] -= 1.0
                z /= len(yb)
                g = x.T @ z
                h = H[feats] + (g * g).mean(axis=1)
                H[feats] = h
                wu -= (lr / np.sqrt(h))[:, None] * g
                W[feats] = wu
                b -= lr * 0.1 * z.sum(axis=0)
        return W, b

    # ------------------------------------------------------------------ scoring

    def probabilities(self, idx: np.ndarray, val: np.ndarray) -> np.ndarray:
        z = (val @ self.W[idx] if len(idx) else np.zeros(self.n_classes, dtype=np.float32)) + self.b
        z = z.astype(np.float64) / self.temperature
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()

    def nearest(self, idx: np.ndarray, val: np.ndarray) -> np.ndarray:
        """Best cosine between the query and any phrasing, per entry."""
        out = np.zeros(self.n_classes, dtype=np.float64)
        norm2 = float(val @ val)
        keep = self._knn_keep[idx]
        idx, val = idx[keep], val[keep]
        if not len(idx):
            return out
        lo = self._post_ptr[idx]
        lens = self._post_ptr[idx + 1] - lo
        total = int(lens.sum())
        if not total:
            return out
        offsets = np.cumsum(lens) - lens
        pos = np.repeat(lo - offsets, lens) + np.arange(total)
        weights = self._post_vals[pos] * np.repeat(val, lens)
        sims = np.bincount(self._post_rows[pos], weights=weights, minlength=self._n_rows)
        # phrasing vectors carry the same group weights as the query, so |q|^2 ~ |q| |p|
        out[self._classes_present] = np.maximum.reduceat(sims, self._class_starts) / max(norm2, 1e-9)
        return out

    def score(self, query_tokens: Sequence[str]) -> np.ndarray:
        idx, val = self.vec.transform(query_tokens)
        p = self.probabilities(idx, val)
        if self.knn_weight <= 0:
            return p
        knn = np.clip(self.nearest(idx, val), 0.0, 1.0)
        return p ** (1.0 - self.knn_weight) * knn**self.knn_weight
