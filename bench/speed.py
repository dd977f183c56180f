"""Speed of the answer engine on the shipped knowledge: load + index, per-question latency, whole `ask` process.

Run: python bench/speed.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "Medicare ABN option 1 code?",
    "what cpt for dry needling 2 muscles",
    "can PTs dry needle in NY",
    "97140 + 20560 same day?",
    "units for 38 min?",
    "pt is way under the KX amount do we still need GP",
    "when is the progress report due for medicare",
    "is 97530 timed",
    "whats the wifi password",
    "COTA ran the whole session which modifiers",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import os
    import tempfile

    from bot.core.answerer import Answerer
    from bot.core.cache import load_answerer
    from bot.core.knowledge import load_knowledge

    t1 = time.perf_counter()
    kb = load_knowledge()
    t2 = time.perf_counter()
    answerer = Answerer(kb)
    t3 = time.perf_counter()
    os.environ["BILLING_BOT_CACHE_DIR"] = tempfile.mkdtemp(prefix="billing-bot-cache-")
    load_answerer()  # cold: builds and writes the compiled-knowledge cache
    w0 = time.perf_counter()
    load_answerer()  # warm: what a restart or a CLI call pays when the knowledge is unchanged
    warm = time.perf_counter() - w0
    for q in QUESTIONS:
        answerer.ask(q)  # warm up
    samples = []
    for _ in range(args.rounds):
        for q in QUESTIONS:
            s = time.perf_counter()
            answerer.ask(q)
            samples.append((time.perf_counter() - s) * 1000)
    samples.sort()
    p99 = samples[int(len(samples) * 0.99) - 1]
    procs = []
    for _ in range(3):
        s = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "units for 38 min"], capture_output=True, check=True, cwd=ROOT
        )
        procs.append(time.perf_counter() - s)
    print(f"entries: {len(kb.entries)}  phrasings: {sum(len(e.all_phrasings) for e in kb.entries)}")
    print(f"import: {t1 - t0:.3f} s")
    print(f"load + validate knowledge: {t2 - t1:.3f} s")
    print(f"build index: {t3 - t2:.3f} s")
    print(f"load + index total, cold (no cache): {t3 - t1:.3f} s")
    print(f"load + index total, warm (compiled-knowledge cache): {warm:.3f} s   (target < 0.5 s)")
    print(
        f"per question: median {statistics.median(samples):.3f} ms, p99 {p99:.3f} ms over {len(samples)} asks"
        "   (target median < 2 ms)"
    )
    print(
        f"`billing-bot ask` whole process: best {min(procs):.2f} s, median {statistics.median(procs):.2f} s"
        "   (target < 1.5 s)"
    )


if __name__ == "__main__":
    main()
