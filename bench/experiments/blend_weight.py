"""How the matcher's LEARNED_WEIGHT (and the classifier's softmax temperature) were chosen: on CLINC150 val.

The TF-IDF score s and the classifier's logits are computed once per query; each (weight, temperature) pair blends
them as s ** (1 - w) * softmax(z / T) ** w, chooses its threshold on val (accuracy criterion, the answerer's
margin and sure rules) and is scored on val. Test numbers are printed for information only.

Run: .venv/bin/python bench/experiments/blend_weight.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Outcomes, choose_threshold, load_set, make_entries, metrics  # noqa: E402
from bot.core.answerer import Thresholds  # noqa: E402
from bot.core.matcher import Matcher  # noqa: E402
from bot.core.text import Synonyms, analyze, words  # noqa: E402

WEIGHTS = (0.3, 0.5, 0.6, 0.7, 0.8)
TEMPERATURES = (1.0, 2.0, 3.0)


def components(m: Matcher, queries) -> tuple[np.ndarray, np.ndarray]:
    learned, m.learned = m.learned, None
    syn = Synonyms({})
    tfidf, logits = [], []
    for q in queries:
        a = analyze(q.text, syn)
        s = m.scores(a)
        tfidf.append(s if s is not None else np.zeros(len(m.classes)))
        idx, val = learned.space.transform(words(a.text))
        logits.append((val @ learned.W[idx] if len(idx) else 0.0) + learned.b)
    m.learned = learned
    return np.asarray(tfidf), np.asarray(logits, dtype=np.float64)


def blend(tfidf: np.ndarray, logits: np.ndarray, w: float, temp: float) -> np.ndarray:
    z = logits / temp
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return np.clip(tfidf, 0, 1) ** (1 - w) * p**w


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
        m = Matcher(entries, Synonyms({}))
        ids = [e.id for e in entries]
        cv, ct = components(m, val), components(m, test)
        for w, temp in itertools.product(WEIGHTS, TEMPERATURES):
            ov, ot = outcomes(blend(*cv, w, temp), val, ids), outcomes(blend(*ct, w, temp), test, ids)
            rule = choose_threshold(ov, th.answer_margin, th.sure, "accuracy")
            row = {"setting": setting, "weight": w, "temperature": temp, "threshold": rule.describe(3),
                   "val": metrics(ov, rule), "test": metrics(ot, rule)}  # fmt: skip
            rows.append(row)
            v, t = row["val"], row["test"]
            log(f"{setting:<6} w={w} T={temp}: val in {v['in_acc']:.1f} oos {v['oos_recall']:.1f} "
                f"all {v['overall']:.1f} | test in {t['in_acc']:.1f} oos {t['oos_recall']:.1f}")  # fmt: skip
    return rows


if __name__ == "__main__":
    run()
