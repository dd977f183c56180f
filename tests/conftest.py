"""Shared fixtures: the shipped knowledge, an answerer over it, and small knowledge trees built in tmp dirs."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.answerer import Answerer
from bot.core.knowledge import KnowledgeBase, default_directory, load_knowledge

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEV_SET = SHARED / "eval" / "dev.yaml"

MINI_SOURCES = """\
sources:
  cms-mcpm-ch5:
    title: Medicare Claims Processing Manual, Chapter 5
    publisher: CMS
    url: https://www.cms.gov/regulations-and-guidance/guidance/manuals/downloads/clm104c05.pdf
    date: 2023-03-16
  noridian-ga:
    title: Modifier GA
    publisher: Noridian
    url: https://med.noridianmedicare.com/web/jeb/topics/modifiers/ga
    date: 2022-09-27
"""

MINI_FAQ = """\
topic: abn
title: ABN
entries:
  - id: abn-option-1-modifier
    question: Which modifier goes on the claim when the patient picks ABN option 1?
    phrasings:
      - medicare abn option 1 code
      - pt checked opt 1 on the abn what mod
      - abn signed option one which modifier
    answer: "*GA* with the therapy modifier; bill Medicare."
    sources: [noridian-ga]
    codes: [GA]
    applies_to:
      payers: [medicare]
      states: []
    reviewed: 2026-11-01
  - id: therex-timed
    question: Is 97110 therapeutic exercise a timed code?
    phrasings:
      - is 97110 timed
      - 97110 ther ex 15 minute code?
      - therapeutic exercise 97110 per 15 min?
    answer: "Yes, 97110 is billed per 15 minutes."
    sources: [cms-mcpm-ch5]
    codes: ["97110"]
    applies_to:
      payers: [any]
    reviewed: 2026-11-01
  - id: neuro-reed-timed
    question: Is 97112 neuromuscular reeducation a timed code?
    phrasings:
      - is 97112 timed
      - 97112 neuro re-ed 15 minute code?
      - neuromuscular reeducation 97112 per 15 min?
    answer: "Yes, 97112 is billed per 15 minutes."
    sources: [cms-mcpm-ch5]
    codes: ["97112"]
    applies_to:
      payers: [any]
    reviewed: 2026-11-01
"""


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(default_directory())


@pytest.fixture(scope="session")
def answerer(kb: KnowledgeBase) -> Answerer:
    return Answerer(kb)


@pytest.fixture
def knowledge_tree(tmp_path: Path) -> Callable[..., Path]:
    """Write a small knowledge directory; keyword args override files by relative path."""

    def build(**files: str) -> Path:
        root = tmp_path / "knowledge"
        (root / "faq").mkdir(parents=True)
        (root / "rules").mkdir()
        contents = {"sources.yaml": MINI_SOURCES, "faq/abn.yaml": MINI_FAQ}
        contents.update({k.replace("__", "/") + ".yaml": v for k, v in files.items()})
        for rel, text in contents.items():
            if text is None:
                continue
            (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return build


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(default_directory(), target)
    return target
