"""How the matcher blends its parts, measured on CLINC150 val: TF-IDF score s, the learned classifier's softmax p,
and (not shipped) the nearest phrasing in the classifier's own feature space k.

    score = s ** a * softmax(z / T) ** b * k ** c

Every (a, b, c, T) gets its own threshold on val (accuracy criterion, the answerer's margin and sure rules) and is
scored on val; test numbers are for information only. The engine ships a = b = 0.5, c = 0, T = 2, 3 epochs. Adding
k, a heavier softmax weight or more epochs lifts CLINC150 a little (to about 91 in-scope) but each lowered our own
held-out billing questions (bench/calibrate.py: 205 of 267 answered right shipped; 195 with k, 201 with 10 epochs,
187 with b = 0.7 and 10 epochs), so none is shipped.

Run: .venv/bin/python bench/experiments/blend_weight.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Outcomes, choose_threshold, load_set, make_entries, metrics  # noqa: E402
from bot.core.answerer import Thresholds  # noqa: E402
from bot.core.learned import LearnedClassifier  # noqa: E402
from bot.core.matcher import Matcher  # noqa: E402
from bot.core.text import Synonyms, analyze, normalize, words  # noqa: E402
from bot.core.vectors import Postings  # noqa: E402

# (a, b, c, T): a = TF-IDF, b = learned softmax, c = nearest phrasing in the learned space
SETTINGS = [(1.0, 0.0, 0.0, 2.0), (0.7, 0.3, 0.0, 2.0), (0.5, 0.5, 0.0, 1.0), (0.5, 0.5, 0.0, 2.0),
            (0.5, 0.5, 0.0, 3.0), (0.3, 0.7, 0.0, 2.0), (0.25, 0.5, 0.25, 2.0), (0.0, 0.5, 0.5, 2.0),
            (0.15, 0.5, 0.35, 2.0)]  # fmt: skip
EPOCHS = (3, 10)  # training epochs of the classifier (3 ships); 10 only for the softmax-heavy settings
SHIPPED = (0.5, 0.5, 0.0, 2.0, 3)


def components(m: Matcher, entries, queries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per query and class: TF-IDF score (entity veto included), learned logits, learned-space nearest cosine."""
    learned, m.learned = m.learned, None
    syn = Synonyms({})
    docs = [words(normalize(p)[0]) for e in entries for p in e.all_phrasings]
    rows = learned.space.fit(docs)  # the same deterministic vocabulary as the fitted model
    nearest_index = Postings(rows, learned.space.n_features, max_df=0.02, min_skip=50)
    owner = np.asarray([i for i, e in enumerate(entries) for _ in e.all_phrasings])
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    tfidf, logits, nearest = [], [], []
    for q in queries:
        a = analyze(q.text, syn)
        s = m.scores(a)
        tfidf.append(s if s is not None else np.zeros(len(m.classes)))
        idx, val = learned.space.transform(words(a.text))
        logits.append((val @ learned.W[idx] if len(idx) else 0.0) + learned.b)
        nearest.append(np.maximum.reduceat(nearest_index.dot(idx, val) / 2.0, starts))
    m.learned = learned
    return np.asarray(tfidf), np.asarray(logits, dtype=np.float64), np.clip(np.asarray(nearest), 0.0, 1.0)


def blend(parts: tuple[np.ndarray, np.ndarray, np.ndarray], a: float, b: float, c: float, temp: float) -> np.ndarray:
    tfidf, logits, nearest = parts
    z = logits / temp
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return np.clip(tfidf, 0, 1) ** a * p**b * nearest**c


def outcomes(scores: np.ndarray, queries, ids: list[str]) -> Outcomes:
    part = np.sort(scores, axis=1)
    return Outcomes([q.gold for q in queries], [ids[i] for i in scores.argmax(axis=1)], part[:, -1], part[:, -2],
                    np.zeros(len(queries), dtype=bool), [], [])  # fmt: skip


def run(log=print) -> list[dict]:
    clinc = load_set("clinc150")
    val, test = clinc.split("val"), clinc.split("test")
    th = Thresholds()
    rows = []
    for setting, cut in (("full", None), ("5-shot", 5)):
        entries = make_entries(clinc.faq, cut)
        ids = [e.id for e in entries]
        for epochs in EPOCHS:
            m = Matcher(entries, Synonyms({}))
            if epochs != m.learned.epochs:
                m.learned = LearnedClassifier(epochs=epochs).fit(
                    [words(normalize(p)[0]) for e in entries for p in e.all_phrasings],
                    [i for i, e in enumerate(entries) for _ in e.all_phrasings],
                    len(entries),
                )
            cv, ct = components(m, entries, val), components(m, entries, test)
            for a, b, c, temp in SETTINGS:
                if epochs != 3 and (a, b, c) not in ((0.5, 0.5, 0.0), (0.3, 0.7, 0.0)):
                    continue
                ov, ot = outcomes(blend(cv, a, b, c, temp), val, ids), outcomes(blend(ct, a, b, c, temp), test, ids)
                rule = choose_threshold(ov, th.answer_margin, th.sure, "accuracy")
                row = {"setting": setting, "a": a, "b": b, "c": c, "temperature": temp, "epochs": epochs,
                       "threshold": rule.describe(3), "shipped": (a, b, c, temp, epochs) == SHIPPED,
                       "val": metrics(ov, rule), "test": metrics(ot, rule)}  # fmt: skip
                rows.append(row)
                v, t = row["val"], row["test"]
                log(f"{setting:<6} a={a} b={b} c={c} T={temp} epochs={epochs}: val in {v['in_acc']:.1f} "
                    f"oos {v['oos_recall']:.1f} all {v['overall']:.1f} | test in {t['in_acc']:.1f} "
                    f"oos {t['oos_recall']:.1f}")  # fmt: skip
    return rows


if __name__ == "__main__":
    run()
