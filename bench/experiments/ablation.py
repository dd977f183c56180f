"""How the prototype's scoring knobs were chosen: softmax temperature x weight of the nearest-phrasing cosine.

For CLINC150 full and 5-shot, one model is trained; every (temperature, knn weight) pair is scored on `val` with
its own val-chosen threshold (accuracy criterion), and the pair with the best summed val accuracy is the default
in learned.py. Test numbers are shown for information only; they were not used to choose.

Run: .venv/bin/python bench/experiments/ablation.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Outcomes, choose_threshold, load_set, make_entries, metrics  # noqa: E402
from bench.experiments.learned import LearnedMatcher  # noqa: E402

TEMPERATURES = (0.5, 1.0, 2.0)
KNN_WEIGHTS = (0.0, 0.3, 0.5, 0.7)


def _raw(model: LearnedMatcher, queries) -> tuple[np.ndarray, np.ndarray]:
    z, k = [], []
    for q in queries:
        idx, val = model.vec.transform(model.tokens(q.text))
        z.append((val @ model.W[idx] if len(idx) else 0.0) + model.b)
        k.append(model.nearest(idx, val))
    return np.asarray(z, dtype=np.float64), np.clip(np.asarray(k), 0.0, 1.0)


def _outcomes(scores: np.ndarray, queries, ids: list[str]) -> Outcomes:
    part = np.sort(scores, axis=1)
    return Outcomes(
        gold=[q.gold for q in queries],
        pred=[ids[i] for i in scores.argmax(axis=1)],
        top=part[:, -1],
        second=part[:, -2],
        oos_wins=np.zeros(len(queries), dtype=bool),
        wall_ms=[],
        cpu_ms=[],
    )


def run(log=print) -> dict:
    clinc = load_set("clinc150")
    val, test = clinc.split("val"), clinc.split("test")
    defaults = LearnedMatcher()
    raw = {}
    for setting, max_variants in (("full", None), ("5-shot", 5)):
        entries = make_entries(clinc.faq, max_variants)
        model = LearnedMatcher(knn_weight=max(defaults.knn_weight, 0.5)).fit(entries)  # builds the postings
        raw[setting] = ([e.id for e in entries], _raw(model, val), _raw(model, test))
    rows = []
    for temp, w in itertools.product(TEMPERATURES, KNN_WEIGHTS):
        row = {"temperature": temp, "knn_weight": w}
        for setting, (ids, (zv, kv), (zt, kt)) in raw.items():
            sv, st = _blend(zv, kv, temp, w), _blend(zt, kt, temp, w)
            out_v, out_t = _outcomes(sv, val, ids), _outcomes(st, test, ids)
            rule = choose_threshold(out_v, criterion="accuracy")
            row[setting] = {"val": metrics(out_v, rule), "test": metrics(out_t, rule), "threshold": rule.threshold}
        row["val_sum"] = row["full"]["val"]["overall"] + row["5-shot"]["val"]["overall"]
        row["default"] = temp == defaults.temperature and w == defaults.knn_weight
        rows.append(row)
        log(
            f"T={temp} knn={w}: val overall full {row['full']['val']['overall']:.2f} 5-shot "
            f"{row['5-shot']['val']['overall']:.2f} | test full {row['full']['test']['in_acc']:.1f}/"
            f"{row['full']['test']['oos_recall']:.1f} 5-shot {row['5-shot']['test']['in_acc']:.1f}/"
            f"{row['5-shot']['test']['oos_recall']:.1f}{'  <- default' if row['default'] else ''}"
        )
    return {"rows": rows, "knn_max_df": defaults.knn_max_df}


def _blend(z: np.ndarray, knn: np.ndarray, temp: float, w: float) -> np.ndarray:
    z = z / temp
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p ** (1.0 - w) * knn**w if w > 0 else p


if __name__ == "__main__":
    run()
