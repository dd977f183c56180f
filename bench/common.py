"""Shared pieces of the benchmarks: data sets, entries, timing, threshold choice, metrics, machine facts.

The data sets live in ../shared/bench (see its README.md): `faq.jsonl` is the knowledge, `queries.jsonl` the
questions (`faq_id` null = out of scope, the right outcome is no match).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.models import Entry  # noqa: E402

DATA = Path(os.environ.get("BENCH_DATA", ROOT.parent / "shared" / "bench"))
HINT3_BOTS = ("sofmattress", "curekart", "powerplay11")


@dataclass
class Query:
    qid: str
    text: str
    gold: str | None  # None = out of scope
    split: str


@dataclass
class DataSet:
    name: str
    faq: list[dict]
    queries: list[Query]
    oos_train: list[str] = field(default_factory=list)

    def split(self, name: str) -> list[Query]:
        return [q for q in self.queries if q.split == name]


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_set(name: str) -> DataSet:
    """`clinc150` or `hint3/<bot>`."""
    folder = DATA / name
    faq = _jsonl(folder / "faq.jsonl")
    queries = [Query(q["qid"], q["query"], q["faq_id"], q["split"]) for q in _jsonl(folder / "queries.jsonl")]
    oos_path = folder / "oos_train.jsonl"
    oos = [q["query"] for q in _jsonl(oos_path)] if oos_path.exists() else []
    return DataSet(name, faq, queries, oos)


def make_entries(faq: Sequence[dict], max_variants: int | None = None) -> list[Entry]:
    """One Entry per FAQ item: the `question` plus the variants (the first `max_variants` of them) as phrasings."""
    today = date.today()
    out = []
    for item in faq:
        variants = [v.strip() for v in item["variants"] if v and v.strip()]
        if max_variants is not None:
            variants = variants[:max_variants]
        out.append(
            Entry(
                id=item["id"],
                topic="bench",
                question=item["question"].strip(),
                phrasings=tuple(variants),
                answer="-",
                sources=(),
                codes=(),
                payers=(),
                states=(),
                depends_on=(),
                tags=(),
                reviewed=today,
            )
        )
    return out


def phrasing_table(entries: Sequence[Entry]) -> tuple[list[str], list[int]]:
    """All phrasings (question first) and the index of the entry each belongs to."""
    texts, owner = [], []
    for i, e in enumerate(entries):
        for p in e.all_phrasings:
            texts.append(p)
            owner.append(i)
    return texts, owner


# ---------------------------------------------------------------- timing


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples, dtype=np.float64), q)) if samples else float("nan")


def latency_summary(wall_ms: Sequence[float], cpu_ms: Sequence[float]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(wall_ms) if wall_ms else float("nan"),
        "p99_ms": percentile(wall_ms, 99),
        "cpu_median_ms": statistics.median(cpu_ms) if cpu_ms else float("nan"),
        "cpu_p99_ms": percentile(cpu_ms, 99),
    }


# ---------------------------------------------------------------- outcomes, thresholds, metrics


@dataclass
class Outcomes:
    """Per query: the best in-scope class, its score, the runner-up score, whether an out-of-scope class won."""

    gold: list[str | None]
    pred: list[str | None]
    top: np.ndarray
    second: np.ndarray
    oos_wins: np.ndarray
    wall_ms: list[float]
    cpu_ms: list[float]


@dataclass(frozen=True)
class Rule:
    """Accept the best class when top >= threshold and (top - second >= margin or top >= sure)."""

    threshold: float
    margin: float = 0.0
    sure: float = float("inf")

    def accept(self, top: np.ndarray, second: np.ndarray) -> np.ndarray:
        return (top >= self.threshold) & ((top - second >= self.margin) | (top >= self.sure))

    def describe(self, digits: int = 3) -> str:
        text = f"t={self.threshold:.{digits}f}"
        if self.margin:
            text += f", margin={self.margin:g}"
        if self.sure != float("inf"):
            text += f", sure={self.sure:g}"
        return text


def _arrays(out: Outcomes) -> tuple[np.ndarray, np.ndarray]:
    gold = np.array([g if g is not None else "" for g in out.gold], dtype=object)
    pred = np.array([p if p is not None else "" for p in out.pred], dtype=object)
    return gold, pred


def metrics(out: Outcomes, rule: Rule) -> dict[str, float]:
    with np.errstate(invalid="ignore"):
        accepted = rule.accept(out.top, out.second) & ~out.oos_wins
    gold, pred = _arrays(out)
    in_scope = gold != ""
    correct_in = in_scope & accepted & (pred == gold)
    correct_oos = ~in_scope & ~accepted
    n_in, n_oos = int(in_scope.sum()), int((~in_scope).sum())
    return {
        "in_acc": 100.0 * correct_in.sum() / n_in if n_in else float("nan"),
        "oos_recall": 100.0 * correct_oos.sum() / n_oos if n_oos else float("nan"),
        "overall": 100.0 * (correct_in.sum() + correct_oos.sum()) / len(gold),
        "top1_in": 100.0 * (in_scope & (pred == gold)).sum() / n_in if n_in else float("nan"),
        "n_in": n_in,
        "n_oos": n_oos,
    }


CRITERIA = {
    "accuracy": "accuracy over all validation queries (3,000 in scope + 100 out of scope; the paper's operating point)",
    "balanced": "in-scope accuracy + out-of-scope recall (both classes weigh the same)",
}


def choose_threshold(
    out: Outcomes, margin: float = 0.0, sure: float = float("inf"), criterion: str = "accuracy"
) -> Rule:
    """The threshold that maximizes `criterion` (see CRITERIA) on `out`, the validation queries.

    Candidates are midpoints between consecutive distinct top scores; ties go to the lowest threshold.
    """
    scores = np.unique(out.top[np.isfinite(out.top)])
    if len(scores) == 0:
        return Rule(0.0, margin, sure)
    cands = np.concatenate([[scores[0] - 1.0], (scores[1:] + scores[:-1]) / 2.0, [scores[-1] + 1.0]])
    gold, pred = _arrays(out)
    in_scope = gold != ""
    right = in_scope & (pred == gold) & ~out.oos_wins
    n_in, n_oos = max(int(in_scope.sum()), 1), max(int((~in_scope).sum()), 1)
    with np.errstate(invalid="ignore"):
        pass_margin = (out.top - out.second >= margin) | (out.top >= sure)
    best, best_val = cands[0], -1.0
    for t in cands:
        acc = (out.top >= t) & pass_margin & ~out.oos_wins
        hits_in, hits_oos = (right & acc).sum(), (~in_scope & ~acc).sum()
        balanced = hits_in / n_in + hits_oos / n_oos
        val = balanced if criterion == "balanced" else (hits_in + hits_oos) / len(gold)
        if val > best_val + 1e-12:
            best, best_val = t, val
    return Rule(float(best), margin, sure)


# ---------------------------------------------------------------- machine


def machine_info() -> dict[str, object]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for pkg in ("numpy", "rapidfuzz", "pyyaml", "bm25s", "scikit-learn", "scipy", "psutil"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    try:
        import psutil

        mem_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        mem_gb = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def fmt(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}"
