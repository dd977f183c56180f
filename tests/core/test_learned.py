from __future__ import annotations

import numpy as np
import pytest

from bot.core import learned
from bot.core.learned import LearnedClassifier

PHRASINGS = {
    0: ["can a pt opt out of medicare", "physical therapist opting out of medicare", "opt out medicare therapist"],
    1: ["can a pt opt in to medicare", "enroll as a medicare provider", "how to join medicare as a therapist"],
    2: ["dry needling cpt code", "which code for dry needling", "trigger point dry needling billing"],
}


def _fit(**kw) -> LearnedClassifier | None:
    docs = [tuple(p.split()) for c in PHRASINGS for p in PHRASINGS[c]]
    owner = [c for c in PHRASINGS for _ in PHRASINGS[c]]
    return LearnedClassifier(**kw).fit(docs, owner, len(PHRASINGS))


def test_probabilities_are_a_distribution_and_pick_the_right_entry():
    model = _fit()
    assert model is not None
    p = model.probabilities(("billing", "code", "for", "dry", "needles"))
    assert p.shape == (3,) and p.sum() == pytest.approx(1.0)
    assert p.argmax() == 2
    assert model.probabilities(("therapist", "wants", "to", "opt", "out")).argmax() == 0


def test_training_is_deterministic():
    a, b = _fit(), _fit()
    assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)


def test_too_large_a_model_is_not_fitted(monkeypatch):
    monkeypatch.setattr(learned, "MAX_CELLS", 10)
    assert _fit() is None


def test_a_question_with_no_known_feature_gets_the_prior():
    model = _fit()
    p = model.probabilities(())
    assert p.sum() == pytest.approx(1.0) and p.max() < 0.6
