"""Choose the answerer's thresholds on the shared dev set (../shared/eval/dev.yaml) and show the held-out result.

Each question is analysed and ranked once; every threshold combination on the grid is then scored by the same
rules as `billing-bot eval`. The chosen point maximises answered-right + declined on dev; ties go to the point
in the middle of the widest plateau of equally good answer thresholds (least sensitive to small score shifts).
The regression set (tests/regression/questions.yaml) is only reported, never used to choose.

Run: .venv/bin/python bench/calibrate.py [--dev ../shared/eval/dev.yaml]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.answerer import Answerer, Thresholds  # noqa: E402
from bot.core.evaluation import Case, load_cases, score  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402

ANSWER = [round(0.10 + 0.01 * i, 2) for i in range(31)]
MARGIN = [0.0, 0.01, 0.02, 0.04]
SURE = [0.3, 0.35, 0.4, 0.5]


def prepared(answerer: Answerer, cases: list[Case]) -> list[tuple[Case, object]]:
    """(case, final answer) or (case, (question, matches) still to be decided), routed once per question."""
    return [(case, answerer.route(case.q)) for case in cases]


def rates(answerer: Answerer, items: list[tuple[Case, object]], thresholds: Thresholds) -> tuple[int, int, int, int]:
    answerer.thresholds = thresholds
    right = declined = n_in = n_out = 0
    for case, fixed in items:
        answer = answerer.decide(*fixed) if isinstance(fixed, tuple) else fixed
        ok = score(case, answer).right
        if case.kind == "out_of_scope":
            n_out += 1
            declined += ok
        else:
            n_in += 1
            right += ok
    return right, n_in, declined, n_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.yaml")
    parser.add_argument("--held-out", type=Path, default=ROOT / "tests" / "regression" / "questions.yaml")
    args = parser.parse_args()
    answerer = Answerer(load_knowledge())
    dev = prepared(answerer, load_cases(args.dev))
    held = prepared(answerer, load_cases(args.held_out))
    base = Thresholds()
    results = {}
    for t, m, s in itertools.product(ANSWER, MARGIN, SURE):
        th = replace(base, answer=t, answer_margin=m, sure=s, suggest=round(min(base.suggest, t - 0.02), 2))
        r = rates(answerer, dev, th)
        results[(t, m, s)] = (r[0] + r[2], r)
    best = max(v[0] for v in results.values())
    # widest run of answer thresholds at the best total, for the best (margin, sure)
    plateaus = []
    for m, s in itertools.product(MARGIN, SURE):
        run: list[float] = []
        for t in ANSWER:
            if results[(t, m, s)][0] == best:
                run.append(t)
            elif run:
                plateaus.append((len(run), run, m, s))
                run = []
        if run:
            plateaus.append((len(run), run, m, s))
    width, run, m, s = max(plateaus, key=lambda p: (p[0], -p[2], -p[3]))
    t = run[len(run) // 2]
    chosen = replace(base, answer=t, answer_margin=m, sure=s, suggest=round(min(base.suggest, t - 0.02), 2))
    d = rates(answerer, dev, chosen)
    h = rates(answerer, held, chosen)
    print(f"chosen: answer={t} margin={m} sure={s} suggest={chosen.suggest} (plateau {run[0]}..{run[-1]})")
    for name, r in (("dev", d), ("held-out", h)):
        right, declined = f"{r[0]}/{r[1]} ({100 * r[0] / r[1]:.1f}%)", f"{r[2]}/{r[3]} ({100 * r[2] / r[3]:.1f}%)"
        print(f"{name}: answered right {right}, declined {declined}")
    cur = rates(answerer, dev, base), rates(answerer, held, base)
    print(f"current defaults {base}: dev {cur[0]}, held-out {cur[1]}")


if __name__ == "__main__":
    main()
