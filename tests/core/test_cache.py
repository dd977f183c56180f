from __future__ import annotations

import pytest

from bot.core.cache import load_answerer
from bot.core.knowledge import KnowledgeError
from tests.conftest import MINI_FAQ


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_BOT_CACHE_DIR", str(tmp_path / "cache"))


def test_warm_load_returns_same_answers_and_edits_invalidate(knowledge_tree, tmp_path):
    root = knowledge_tree()
    first = load_answerer(root)
    assert list((tmp_path / "cache").glob("answerer-*.pickle"))
    warm = load_answerer(root)
    assert warm.ask("is 97112 timed").entry_id == first.ask("is 97112 timed").entry_id == "neuro-reed-timed"
    (root / "faq" / "abn.yaml").write_text(MINI_FAQ.replace("Yes, 97112 is billed per 15 minutes.", "Changed."))
    assert load_answerer(root).ask("is 97112 timed").answer == "Changed."


def test_invalid_knowledge_is_never_cached(knowledge_tree, tmp_path):
    root = knowledge_tree(faq__abn=MINI_FAQ.replace("sources: [noridian-ga]", "sources: [nope]"))
    with pytest.raises(KnowledgeError):
        load_answerer(root)
    assert not list((tmp_path / "cache").glob("answerer-*.pickle"))


def test_corrupt_cache_file_is_rebuilt(knowledge_tree, tmp_path):
    root = knowledge_tree()
    load_answerer(root)
    [path] = (tmp_path / "cache").glob("answerer-*.pickle")
    path.write_bytes(b"not a pickle")
    assert load_answerer(root).ask("is 97110 timed").entry_id == "therex-timed"
