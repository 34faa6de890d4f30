"""Embedding: the optional local text encoder behind hybrid search (gitmem[semantic], wordllama, no network)."""

from __future__ import annotations

import importlib.util
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from gitmem.errors import ConfigError

if TYPE_CHECKING:
    import numpy

# The wheel's bundled model; changing it changes every vector's key, so old vectors are recomputed, not mixed.
MODEL = "l2_supercat"
DIMS = 256
MODEL_ID = f"wordllama-0.4/{MODEL}/{DIMS}"
INSTALL_HINT = 'install the extra: pip install "gitmem[semantic]" (or `make test`, which installs it)'


def available() -> bool:
    """True when the extra is installed (looked up, not imported: importing costs a second)."""
    return importlib.util.find_spec("wordllama") is not None and importlib.util.find_spec("numpy") is not None


@lru_cache(maxsize=1)
def _model() -> Any:
    if not available():
        raise ConfigError(f"semantic search is not installed: {INSTALL_HINT}")
    # No hub, ever: the hub library reads this when imported; the weights and tokenizer ship in the wheel.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    numpy_module()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama  # type: ignore[import-untyped]
    from wordllama import WordLlama

    # Its import calls logging.basicConfig(level=INFO): a stderr handler on the root logger. Logging is the
    # application's (a hook's stderr is protocol): put it back as it was.
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)

    # The package folder is the "cache": its loader finds weights/ and tokenizers/ there and never downloads.
    folder = Path(wordllama.__file__).parent
    try:
        return WordLlama.load(config=MODEL, cache_dir=folder, dim=DIMS, disable_download=True)
    except Exception as exc:  # the package's own files missing or unreadable: say which and how to fix
        raise ConfigError(f"the semantic model could not be loaded from {folder}: {exc}; "
                          f"reinstall it: pip install --force-reinstall \"gitmem[semantic]\"") from exc


def numpy_module() -> Any:
    """numpy, first imported with one BLAS thread: on a busy 2-core machine OpenBLAS's default thread pool made a
    cosine ranking over 27k lines 12x slower (17.8 ms against 1.4 ms median)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    import numpy

    return numpy


def encode(texts: Sequence[str]) -> "numpy.ndarray":
    """Unit-length float32 vectors, one row per text (DIMS columns); an empty input gives a 0 x DIMS array."""
    numpy = numpy_module()

    if not texts:
        return numpy.zeros((0, DIMS), dtype=numpy.float32)
    vectors = _model().embed(list(texts), norm=True)
    return numpy.ascontiguousarray(vectors, dtype=numpy.float32)


def whole_words() -> list[str]:
    """The tokenizer's whole-word tokens (a word-start marker then letters only), lower-cased, each once."""
    vocab = _model().tokenizer.get_vocab()
    return sorted({t[1:].lower() for t in vocab if t[:1] == "\u2581" and t[1:].isalpha()})
