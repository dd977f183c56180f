"""Scale: our engine on synthetic knowledge bases of N entries x 5 phrasings (default N = 1,000 and 10,000).

Synthetic entries recombine CLINC150 phrasings with entity tokens so that many entries share wording and differ by
an entity, as billing entries do (same question about 97110 vs 97112, Medicare vs Medicaid): entry k takes five
phrasings of CLINC intent k mod 150 and a made-up product name; a third of the entries also carry a 5-digit code
(in `codes` and in the phrasings) and a sixth a payer word. Questions are held-out CLINC test queries of the same
intent with the entry's entity (and code, when it has one) in a different template; a tenth of the questions are
CLINC out-of-scope queries.

Each size runs in a fresh subprocess, so the RSS delta (psutil) of building the index is not blurred by earlier
runs. Reported: index build ("load") time, RSS delta of the built Matcher, median and p99 time per question
(analyze + rank, wall clock) and, as a sanity check, top-1 accuracy on the in-scope questions.

Run: .venv/bin/python bench/scale.py [--sizes 1000,10000] [--questions 2000] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_set, percentile  # noqa: E402

TARGETS = {"median_ms": 5.0, "p99_ms": 20.0, "build_s": 3.0}
PAYER_WORDS = ("medicare", "medicaid", "aetna", "tricare", "workers comp", "cigna")
PAYER_CLASS = {
    "medicare": "medicare",
    "medicaid": "medicaid",
    "aetna": "commercial",
    "tricare": "tricare",
    "workers comp": "workers_comp",
    "cigna": "commercial",
}  # as bot.core.text.PAYER_WORDS maps them
SYLLABLES = ("ka", "lo", "mi", "ven", "tor", "ra", "zu", "pel", "dex", "an", "or", "qui", "sta", "bri", "mon", "tel",
             "va", "ris", "co", "nu", "gar", "fen", "lix", "ob")  # fmt: skip
PHRASING_TEMPLATES = ("{p} for {e}", "{e}: {p}", "{p} with the {e} plan", "about {e}, {p}", "{p} ({e})")
QUESTION_TEMPLATES = ("{e} - {p}", "{p} on {e}", "question about {e}: {p}", "{p} under {e}")


def _names(n: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3)))))
    return sorted(names)


def synthetic(n_entries: int, n_questions: int, seed: int = 13, per_entry: int = 5):
    """(entries, questions): questions are (text, entry id or None); `per_entry` phrasings per entry."""
    from datetime import date

    from bot.core.models import Entry

    rng = random.Random(seed)
    clinc = load_set("clinc150")
    faq = clinc.faq
    held_out: dict[str, list[str]] = {}
    for q in clinc.split("test"):
        if q.gold is not None:
            held_out.setdefault(q.gold, []).append(q.text)
    oos = [q.text for q in clinc.split("test") if q.gold is None]
    names = _names(n_entries, rng)
    codes = rng.sample(range(10000, 99999), n_entries)  # 5-digit, like CPT codes
    entries, meta = [], []
    for k in range(n_entries):
        base = faq[k % len(faq)]
        variants = base["variants"]
        start = (k // len(faq)) * per_entry % max(len(variants) - per_entry, 1)
        entity = names[k]
        code = str(codes[k]) if k % 3 == 0 else None
        payer = PAYER_WORDS[k % len(PAYER_WORDS)] if k % 6 == 1 else None
        label = " ".join(x for x in (entity, code, payer) if x)
        phr = [PHRASING_TEMPLATES[j % len(PHRASING_TEMPLATES)].format(p=v, e=label)
               for j, v in enumerate(variants[start : start + per_entry])]  # fmt: skip
        entries.append(
            Entry(
                id=f"syn-{k:05d}",
                topic="synthetic",
                question=phr[0],
                phrasings=tuple(phr[1:]),
                answer="-",
                sources=(),
                codes=(code,) if code else (),
                payers=(PAYER_CLASS[payer],) if payer else (),
                states=(),
                depends_on=(),
                tags=(),
                reviewed=date.today(),
            )
        )
        meta.append((base["id"], label))
    questions: list[tuple[str, str | None]] = []
    for _ in range(n_questions):
        if rng.random() < 0.1:
            questions.append((rng.choice(oos), None))
            continue
        k = rng.randrange(n_entries)
        intent, label = meta[k]
        text = rng.choice(held_out.get(intent) or faq[k % len(faq)]["variants"])
        questions.append((rng.choice(QUESTION_TEMPLATES).format(p=text, e=label), entries[k].id))
    return entries, questions


def measure(n_entries: int, n_questions: int) -> dict:
    """Runs inside the child process."""
    import psutil

    from bot.core.matcher import Matcher
    from bot.core.text import Synonyms, analyze

    entries, questions = synthetic(n_entries, n_questions)
    syn = Synonyms({})
    proc = psutil.Process()
    gc.collect()
    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    matcher = Matcher(entries, syn, out_of_scope=())
    build_s = time.perf_counter() - t0
    gc.collect()
    rss1 = proc.memory_info().rss
    for text, _ in questions[:20]:
        matcher.rank(analyze(text, syn), limit=5)
    wall, hits, n_in = [], 0, 0
    for text, gold in questions:
        s = time.perf_counter()
        ranked = matcher.rank(analyze(text, syn), limit=5)
        wall.append((time.perf_counter() - s) * 1000)
        if gold is not None:
            n_in += 1
            hits += bool(ranked) and ranked[0].entry_id == gold
    return {
        "entries": n_entries,
        "phrasings": sum(len(e.all_phrasings) for e in entries),
        "build_s": build_s,
        "rss_delta_mb": (rss1 - rss0) / 2**20,
        "median_ms": statistics.median(wall),
        "p99_ms": percentile(wall, 99),
        "max_ms": max(wall),
        "questions": len(questions),
        "top1_in": 100.0 * hits / max(n_in, 1),
        "learned": matcher.learned is not None,
    }


def run(sizes: list[int], n_questions: int, log=print) -> list[dict]:
    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--questions", str(n_questions)],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise RuntimeError(f"scale run for {n} entries failed:\n{out.stderr}")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        log(
            f"{row['entries']:>6} entries ({row['phrasings']} phrasings): build {row['build_s']:.2f} s, "
            f"RSS +{row['rss_delta_mb']:.0f} MB, per question median {row['median_ms']:.2f} ms, "
            f"p99 {row['p99_ms']:.2f} ms, top-1 {row['top1_in']:.1f}%"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.questions)))
        return
    rows = run([int(s) for s in args.sizes.split(",")], args.questions)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
