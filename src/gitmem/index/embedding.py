"""Embedding: the optional local text encoder behind hybrid search (gitmem[semantic], wordllama, no network)."""

from __future__ import annotations

import importlib.util
import logging
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
    vectors = _model().embed([content_words(t) for t in texts], norm=True)
    return numpy.ascontiguousarray(vectors, dtype=numpy.float32)


def whole_words() -> list[str]:
    """The tokenizer's whole-word tokens (a word-start marker then letters only), lower-cased, each once."""
    vocab = _model().tokenizer.get_vocab()
    return sorted({t[1:].lower() for t in vocab if t[:1] == "\u2581" and t[1:].isalpha()})
