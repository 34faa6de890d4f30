"""Embedding: the optional local text encoder behind hybrid search (gitmem[semantic], wordllama, no network)."""

from __future__ import annotations

import importlib.util
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from gitmem.errors import ConfigError
from gitmem.recall import STOPWORDS

if TYPE_CHECKING:
    import numpy

# The wheel's bundled model; changing it changes every vector's key, so old vectors are recomputed, not mixed.
MODEL = "l2_supercat"
DIMS = 256
# "content": texts are encoded by their content words (``content_words``); part of every vector's key.
MODEL_ID = f"wordllama-0.4/{MODEL}/{DIMS}/content"
# Words dropped before encoding: the function words and question words a query is phrased with ("how do we
# use ..."), which the static model averages in like any other token, pulling every question toward every line.
FILLER = STOPWORDS | frozenset(("use", "uses", "used", "using"))
_WORD = re.compile(r"[^\W_]+")
INSTALL_HINT = 'install the extra: pip install "gitmem[semantic]" (or `make test`, which installs it)'


def available() -> bool:
    """True when the extra is installed (looked up, not imported: importing costs a second)."""
    return importlib.util.find_spec("wordllama") is not None and importlib.util.find_spec("numpy") is not None


class _StaticModel:
    """wordllama's static model, run as wordllama's own ``embed`` runs it (tokenize without special tokens, look
    the tokens up, average them over the attention mask, normalize), from the files its wheel ships. wordllama's
    package is not imported: its import pulls pydantic, requests and huggingface_hub (network code) and sets up
    root logging, and costs as much again as the model; the vectors are the same to the bit (tests/test_embedding.py
    compares them with wordllama's)."""

    BATCH = 64   # texts per lookup: a batch's token matrix is texts x longest x DIMS floats

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        numpy = numpy_module()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizers" / f"{MODEL}_tokenizer_config.json"))
        self.tokenizer.enable_padding()
        self.tokenizer.no_truncation()
        weights = load_file(str(folder / "weights" / f"{MODEL}_{DIMS}.safetensors"))["embedding.weight"]
        self.matrix = numpy.ascontiguousarray(weights.astype(numpy.float32))

    def embed(self, texts: list[str]) -> Any:
        numpy = numpy_module()
        out = numpy.empty((len(texts), self.matrix.shape[1]), dtype=numpy.float32)
        for i in range(0, len(texts), self.BATCH):
            encoded = self.tokenizer.encode_batch(texts[i:i + self.BATCH], is_pretokenized=False,
                                                  add_special_tokens=False)
            ids = numpy.array([e.ids for e in encoded], dtype=numpy.int32)
            mask = numpy.array([e.attention_mask for e in encoded], dtype=numpy.float32)
            numpy.clip(ids, 0, self.matrix.shape[0] - 1, out=ids)
            counts = numpy.maximum(mask.sum(axis=1, keepdims=True), 1.0).astype(numpy.float32)
            pooled = numpy.sum(self.matrix[ids] * mask[..., numpy.newaxis], axis=1, dtype=numpy.float32) / counts
            pooled /= numpy.maximum(numpy.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[i:i + len(encoded)] = pooled
        return out


def model_folder() -> Path:
    """The installed wordllama package's folder: its ``weights/`` and ``tokenizers/`` are the model."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.origin:
        raise ConfigError(f"semantic search is not installed: {INSTALL_HINT}")
    return Path(spec.origin).parent


@lru_cache(maxsize=1)
def _model() -> _StaticModel:
    if not available():
        raise ConfigError(f"semantic search is not installed: {INSTALL_HINT}")
    folder = model_folder()
    try:
        return _StaticModel(folder)
    except Exception as exc:  # the package's own files missing or unreadable: say which and how to fix
        raise ConfigError(f"the semantic model could not be loaded from {folder}: {exc}; "
                          f"reinstall it: pip install --force-reinstall \"gitmem[semantic]\"") from exc


def model() -> _StaticModel:
    """The loaded static model (its ``tokenizer`` and token table ``matrix``), loaded once per process."""
    return _model()


def numpy_module() -> Any:
    """numpy, first imported with one BLAS thread: on a busy 2-core machine OpenBLAS's default thread pool made a
    cosine ranking over 27k lines 12x slower (17.8 ms against 1.4 ms median)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    import numpy

    return numpy


def content_words(text: str) -> str:
    """``text``'s words without ``FILLER`` (identifiers split at ``_`` and punctuation), or ``text`` when
    nothing else is left. wordllama averages its token vectors: "how do we handle retries" minus "how do we"
    is nearer to a line about retries and farther from unrelated ones (see the decision on semantic search)."""
    kept = [w for w in _WORD.findall(text) if w.lower() not in FILLER]
    return " ".join(kept) if kept else text


def encode(texts: Sequence[str]) -> "numpy.ndarray":
    """Unit-length float32 vectors of the texts' ``content_words``, one row per text (DIMS columns); an empty
    input gives a 0 x DIMS array."""
    numpy = numpy_module()

    if not texts:
        return numpy.zeros((0, DIMS), dtype=numpy.float32)
    vectors = _model().embed([content_words(t) for t in texts])
    return numpy.ascontiguousarray(vectors, dtype=numpy.float32)


def whole_words() -> list[str]:
    """The tokenizer's whole-word tokens (a word-start marker then letters only), lower-cased, each once."""
    vocab = _model().tokenizer.get_vocab()
    return sorted({t[1:].lower() for t in vocab if t[:1] == "\u2581" and t[1:].isalpha()})
