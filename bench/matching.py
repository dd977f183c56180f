"""Matching benchmark: our engine vs bm25s, rapidfuzz and a linear SVM on CLINC150 and HINT3 (../shared/bench).

Every system gets the same knowledge: per FAQ item the `question` plus its variants as phrasings, no synonyms.
For each query a system gives its best in-scope class, that score, the runner-up score (and, for our engine with
out-of-scope examples, whether the out-of-scope class won); a threshold on the score decides answer / no match.
The threshold is chosen on CLINC150 `val` (max of in-scope accuracy + out-of-scope recall) and reported on `test`;
HINT3 has no val split, so it gets the threshold chosen on CLINC150 val (and, for our engine, also its default).

Run: .venv/bin/python bench/matching.py [--quick] [--json out.json]   (bench/run_all.py also writes RESULTS.md)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# One BLAS thread: queries are served one at a time, and spinning BLAS threads stall on a busy 2-core machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    HINT3_BOTS,
    DataSet,
    Outcomes,
    Query,
    Rule,
    choose_threshold,
    latency_summary,
    load_set,
    make_entries,
    metrics,
    phrasing_table,
    timed,
)
from bot.core.models import Entry  # noqa: E402

NEG = float("-inf")
QUICK_VAL, QUICK_TEST = (300, 100), (400, 100)  # --quick: in-scope + out-of-scope queries sampled
QUICK_VARIANTS = 10  # --quick: CLINC150 "full" knowledge cut to the first 10 variants per intent


class System:
    """A matcher under test: `build` once, then `query(text) -> (best id, top score, second score, oos wins)`."""

    name = "?"
    margin = 0.0
    sure = float("inf")
    default_rule: Rule | None = None  # the system's own shipped threshold, if it has one

    def build(self, entries: Sequence[Entry], oos_examples: Sequence[str] = ()) -> None:
        raise NotImplementedError

    def query(self, text: str) -> tuple[str | None, float, float, bool]:
        raise NotImplementedError


def _top2(scores: np.ndarray) -> tuple[int, float, float]:
    if len(scores) == 1:
        return 0, float(scores[0]), NEG
    part = np.argpartition(-scores, 1)[:2]
    a, b = (part[0], part[1]) if scores[part[0]] >= scores[part[1]] else (part[1], part[0])
    return int(a), float(scores[a]), float(scores[b])


class OurEngine(System):
    """bot.core.matcher.Matcher, decided like Answerer.decide: top >= t and (top - second >= margin or top >= sure)."""

    name = "our engine"

    def __init__(self, with_oos: bool = False):
        from bot.core.answerer import Thresholds

        th = Thresholds()
        self.margin, self.sure = th.answer_margin, th.sure
        self.default_rule = Rule(th.answer, th.answer_margin, th.sure)
        self.oos_margin = th.out_of_scope_margin
        self.with_oos = with_oos
        if with_oos:
            self.name = "our engine + oos_train"

    def build(self, entries, oos_examples=()):
        from bot.core.matcher import Matcher
        from bot.core.text import Synonyms, analyze

        self._syn = Synonyms({})
        self._analyze = analyze
        self.m = Matcher(entries, self._syn, out_of_scope=oos_examples if self.with_oos else ())

    def query(self, text):
        ranked = self.m.rank(self._analyze(text, self._syn), limit=8)
        oos = next((r.score for r in ranked if r.entry is None), 0.0)
        cands = [r for r in ranked if r.entry is not None]
        if not cands:
            return None, NEG, NEG, False
        best = cands[0]
        second = cands[1].score if len(cands) > 1 else 0.0
        return best.entry.id, best.score, second, oos >= best.score + self.oos_margin


class BM25(System):
    """bm25s (default BM25 parameters, English stopwords, no stemmer); class score = best phrasing score."""

    name = "bm25s"

    def build(self, entries, oos_examples=()):
        import bm25s

        self._bm25s = bm25s
        texts, owner = phrasing_table(entries)
        self.ids = [e.id for e in entries]
        owner_arr = np.asarray(owner)
        self.starts = np.flatnonzero(np.r_[True, owner_arr[1:] != owner_arr[:-1]])
        tokens = bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)

    def query(self, text):
        toks = [t for t in self._bm25s.tokenize([text], stopwords="en", return_ids=False, show_progress=False)[0] if t]
        if not toks:
            return None, NEG, NEG, False
        per_class = np.maximum.reduceat(self.retriever.get_scores(toks), self.starts)
        i, top, second = _top2(per_class)
        return (self.ids[i] if top > 0 else None), top, second, False


class Fuzzy(System):
    """rapidfuzz process.extractOne(token_set_ratio) over all phrasings (lower-cased, punctuation stripped)."""

    name = "rapidfuzz"

    def build(self, entries, oos_examples=()):
        from rapidfuzz import fuzz, process, utils

        self._process, self._scorer, self._prep = process, fuzz.token_set_ratio, utils.default_process
        texts, self.owner = phrasing_table(entries)
        self.ids = [e.id for e in entries]
        self.choices = [self._prep(t) for t in texts]

    def query(self, text):
        hit = self._process.extractOne(self._prep(text), self.choices, scorer=self._scorer)
        if hit is None:
            return None, NEG, NEG, False
        return self.ids[self.owner[hit[2]]], float(hit[1]), NEG, False


class SVM(System):
    """LinearSVC(C=0.5) over TF-IDF word 1-2-grams + char_wb 2-5-grams (sublinear tf); score = best decision value."""

    name = "linear SVM"

    def build(self, entries, oos_examples=()):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion
        from sklearn.svm import LinearSVC

        texts, owner = phrasing_table(entries)
        self.ids = [e.id for e in entries]
        self.vec = FeatureUnion(
            [
                ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
                ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ]
        )
        x = self.vec.fit_transform(texts)
        self.clf = LinearSVC(C=0.5).fit(x, np.asarray(owner))
        self.classes = list(self.clf.classes_)

    def query(self, text):
        scores = self.clf.decision_function(self.vec.transform([text]))[0]
        i, top, second = _top2(np.atleast_1d(scores))
        return self.ids[self.classes[i]], top, second, False


SYSTEMS = {
    "engine": lambda: OurEngine(False),
    "engine+oos": lambda: OurEngine(True),
    "bm25s": BM25,
    "rapidfuzz": Fuzzy,
    "svm": SVM,
}


def run_queries(system: System, queries: Sequence[Query], warmup: int = 20) -> Outcomes:
    for q in queries[:warmup]:
        system.query(q.text)
    pred, top, second, oos, wall, cpu = [], [], [], [], [], []
    for q in queries:
        w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        p, t, s, o = system.query(q.text)
        c1, w1 = time.thread_time_ns(), time.perf_counter_ns()
        wall.append((w1 - w0) / 1e6)
        cpu.append((c1 - c0) / 1e6)
        pred.append(p)
        top.append(t)
        second.append(s)
        oos.append(o)
    return Outcomes(
        gold=[q.gold for q in queries],
        pred=pred,
        top=np.asarray(top, dtype=np.float64),
        second=np.asarray(second, dtype=np.float64),
        oos_wins=np.asarray(oos, dtype=bool),
        wall_ms=wall,
        cpu_ms=cpu,
    )


def subsample(queries: list[Query], n_in: int, n_oos: int, seed: int = 7) -> list[Query]:
    rng = random.Random(seed)
    ins = [q for q in queries if q.gold is not None]
    oos = [q for q in queries if q.gold is None]
    pick = rng.sample(ins, min(n_in, len(ins))) + rng.sample(oos, min(n_oos, len(oos)))
    return sorted(pick, key=lambda q: q.qid)


def _row(ds: str, setting: str, system: System, rule: Rule, how: str, out: Outcomes, build_s: float, crit: str) -> dict:
    m = metrics(out, rule)
    return {
        "set": ds,
        "setting": setting,
        "system": system.name,
        "threshold": rule.describe(3),
        "threshold_from": how,
        "criterion": crit,
        **m,
        **latency_summary(out.wall_ms, out.cpu_ms),
        "build_s": build_s,
        "n_queries": len(out.gold),
    }


def evaluate_clinc(
    clinc: DataSet, keys: Sequence[str], max_variants: int | None, setting: str, quick: bool, log=print
) -> tuple[list[dict], dict[str, Rule]]:
    """Build on the (possibly cut) knowledge, choose thresholds on val, report test. Returns rows and the
    accuracy-criterion rules (for HINT3)."""
    entries = make_entries(clinc.faq, max_variants)
    val, test = clinc.split("val"), clinc.split("test")
    if quick:
        val, test = subsample(val, *QUICK_VAL), subsample(test, *QUICK_TEST)
    rows, rules = [], {}
    for key in keys:
        system = SYSTEMS[key]()
        _, build_s = timed(lambda system=system: system.build(entries, clinc.oos_train))  # noqa: B023
        out_val = run_queries(system, val)
        out_test = run_queries(system, test)
        for crit in ("accuracy", "balanced"):
            rule = choose_threshold(out_val, system.margin, system.sure, crit)
            if crit == "accuracy":
                rules[key] = rule
            row = _row("CLINC150", setting, system, rule, "CLINC150 val", out_test, build_s, crit)
            row["val"] = metrics(out_val, rule)
            rows.append(row)
            log(_line(row))
        if system.default_rule is not None:
            row = _row("CLINC150", setting, system, system.default_rule, "default", out_test, build_s, "accuracy")
            rows.append(row)
            log(_line(row))
    return rows, rules


def evaluate_hint3(keys: Sequence[str], clinc_rules: dict[str, Rule], log=print) -> list[dict]:
    rows = []
    for bot in HINT3_BOTS:
        ds = load_set(f"hint3/{bot}")
        entries = make_entries(ds.faq)
        test = ds.split("test")
        for key in keys:
            if key == "engine+oos":
                continue  # HINT3 ships no out-of-scope training examples
            system = SYSTEMS[key]()
            _, build_s = timed(lambda system=system, entries=entries: system.build(entries))
            out = run_queries(system, test)
            oracle = choose_threshold(out, system.margin, system.sure, "balanced")
            candidates = [(clinc_rules[key], "CLINC150 val")] if key in clinc_rules else []
            if system.default_rule is not None:
                candidates.append((system.default_rule, "default"))
            for rule, how in candidates:
                row = _row(f"HINT3 {bot}", "full", system, rule, how, out, build_s, "accuracy")
                row["oracle"] = {"threshold": oracle.describe(3), **metrics(out, oracle)}
                rows.append(row)
                log(_line(row))
    return rows


def _line(r: dict) -> str:
    return (
        f"{r['set']:<18} {r['setting']:<6} {r['system']:<22} {r['threshold_from']:<12} {r['criterion'][:3]} "
        f"in {r['in_acc']:5.1f}  "
        f"oos {r['oos_recall']:5.1f}  all {r['overall']:5.1f}  med {r['median_ms']:7.3f} ms  "
        f"p99 {r['p99_ms']:7.3f} ms  build {r['build_s']:6.2f} s  [{r['threshold']}]"
    )


def run(quick: bool = False, keys: Sequence[str] | None = None, log=print) -> dict:
    keys = list(keys or SYSTEMS)
    if quick:
        keys = [k for k in keys if k != "engine+oos"]
    clinc = load_set("clinc150")
    full_variants, full_name = (QUICK_VARIANTS, f"{QUICK_VARIANTS}-var") if quick else (None, "full")
    rows, rules = evaluate_clinc(clinc, keys, full_variants, full_name, quick, log)
    rows5, _ = evaluate_clinc(clinc, keys, 5, "5-shot", quick, log)
    rows_h = evaluate_hint3(keys, rules, log)
    return {"rows": rows + rows5 + rows_h, "quick": quick}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="cut CLINC150 knowledge and subsample queries")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma list of {', '.join(SYSTEMS)}")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()
    result = run(args.quick, [k.strip() for k in args.systems.split(",") if k.strip()])
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
