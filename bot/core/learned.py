"""A learned entry classifier: softmax regression over the phrasings' word and character n-grams (numpy only).

Nearest-phrasing matching weighs a word by how rare it is; a classifier learns, across all of an entry's phrasings,
which words and word pieces point to it and which only look alike ("opt out" vs "opt in"). The matcher blends
the two (see matcher.py); intent classifiers like a linear SVM beat nearest-neighbour matching on CLINC150 by
about ten points for this reason (bench/RESULTS.md).

- Features: word 1-2-grams and character 2-5-grams of every word (padded, like scikit-learn's `char_wb`),
  sublinear tf x smoothed idf, each group L2-normalised.
- Training: weights start at the scaled entry centroids (Rocchio), then a few epochs of mini-batch gradient
  descent with row-wise Adagrad; every batch is a small dense matrix over the features it uses, so each step is two
  BLAS products and touches only those rows of W. Deterministic (fixed seed). Few epochs act as regularisation.
- W is dense (features x entries, float32): cheap for hundreds of entries, not for tens of thousands, so the
  matcher only fits it while `features * entries` stays under MAX_CELLS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bot.core.vectors import CharGrams, Csr, FeatureSpace

MAX_CELLS = 25_000_000  # 100 MB of float32 weights


class LearnedClassifier:
    """`fit(docs, owner, n_classes)` once; `probabilities(tokens)` per question. Immutable after fit."""

    def __init__(
        self,
        epochs: int = 3,
        min_steps: int = 60,
        max_epochs: int = 20,
        batch: int = 64,
        lr: float = 0.5,
        init_scale: float = 20.0,
        temperature: float = 2.0,
        seed: int = 0,
    ):
        self.epochs, self.min_steps, self.max_epochs = epochs, min_steps, max_epochs
        self.batch, self.lr, self.init_scale = batch, lr, init_scale
        self.temperature = temperature
        self.seed = seed
        self.space = FeatureSpace(CharGrams(sizes=(2, 3, 4, 5), alpha_only=False))
        self.n_classes = 0
        self.W = np.zeros((0, 0), dtype=np.float32)
        self.b = np.zeros(0, dtype=np.float32)

    @staticmethod
    def may_fit(known_features: int, n_classes: int) -> bool:
        """Cheap pre-check: the classifier has at least as many features as a TF-IDF index over the same phrasings."""
        return known_features * n_classes <= MAX_CELLS

    def fit(self, docs: Sequence[Sequence[str]], owner: Sequence[int], n_classes: int) -> LearnedClassifier | None:
        """Train on the phrasings (owner[i] = class of docs[i]); None when the weights would exceed MAX_CELLS."""
        rows = self.space.fit(docs)
        if self.space.n_features * n_classes > MAX_CELLS:
            return None
        self.n_classes = n_classes
        self.W, self.b = self._train(rows, np.asarray(owner, dtype=np.int64))
        return self

    def _train(self, rows: Csr, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        n, c, n_feat = len(y), self.n_classes, self.space.n_features
        indptr, feat, val = rows.indptr, rows.ids, rows.vals
        row_of = rows.row_of()
        W = np.bincount(feat * c + y[row_of], weights=val, minlength=n_feat * c).astype(np.float32).reshape(n_feat, c)
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

    def probabilities(self, tokens: Sequence[str]) -> np.ndarray:
        idx, val = self.space.transform(tokens)
        z = (val @ self.W[idx] if len(idx) else np.zeros(self.n_classes, dtype=np.float32)) + self.b
        z = z.astype(np.float64) / self.temperature
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()
