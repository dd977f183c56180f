from __future__ import annotations

import numpy as np
import pytest

from bot.core.vectors import CharGrams, FeatureSpace, Postings, group_sum

DOCS = [
    ("medicare", "abn", "option", "modifier"),
    ("abn", "option", "refund"),
    ("dry", "needling", "code"),
    ("therapeutic", "exercise", "timed", "code"),
]


@pytest.fixture
def fitted() -> tuple[FeatureSpace, object]:
    space = FeatureSpace(CharGrams((3, 4)), word_weight=0.65, char_weight=0.35)
    return space, space.fit(DOCS)


def test_a_phrasing_matches_itself_best_with_the_group_weights(fitted):
    space, rows = fitted
    postings = Postings(rows, space.n_features)
    for i, doc in enumerate(DOCS):
        scores = postings.dot(*space.transform(doc))
        assert scores.argmax() == i
        assert scores[i] == pytest.approx(0.65 + 0.35, abs=1e-5)


def test_bigrams_and_char_grams_are_features(fitted):
    space, _ = fitted
    assert "abn_option" in space.vocab
    assert "#eed" in space.vocab and space.is_char[space.vocab["#eed"]]
    assert not space.is_char[space.vocab["abn"]]


def test_unknown_words_give_an_empty_vector_but_typos_keep_char_grams(fitted):
    space, _ = fitted
    ids, vals = space.transform(("zzzz",))
    assert len(ids) == 0 and len(vals) == 0
    ids, _ = space.transform(("neeedling",))  # a typo: no word feature, but shared character n-grams
    assert len(ids) > 0 and all(space.is_char[ids])


def test_common_features_are_skipped_when_the_index_is_large():
    docs = [("common", f"word{i}") for i in range(50)]
    space = FeatureSpace(CharGrams((3,), alpha_only=True))
    rows = space.fit(docs)
    postings = Postings(rows, space.n_features, max_df=0.1, min_skip=0)
    assert not postings.keep[space.vocab["common"]]
    assert postings.dot(*space.transform(("common",))).max() == 0.0
    assert postings.dot(*space.transform(("word7",))).argmax() == 7


def test_group_sum_gives_unit_centroids(fitted):
    space, rows = fitted
    owner = np.asarray([0, 0, 1, 1])
    centroids = group_sum(rows, owner, 2, space.n_features, only=~space.is_char)
    for g in range(2):
        vals = centroids.vals[centroids.indptr[g] : centroids.indptr[g + 1]]
        assert float(vals @ vals) == pytest.approx(1.0, abs=1e-5)
        assert not space.is_char[centroids.ids[centroids.indptr[g] : centroids.indptr[g + 1]]].any()


def test_empty_input_is_harmless():
    space = FeatureSpace(CharGrams())
    rows = space.fit([])
    assert rows.n_rows == 0 and space.n_features == 0
    assert len(space.transform(("anything",))[0]) == 0
