"""Embedding: the optional local text encoder behind hybrid search (gitmem[semantic], wordllama, no network)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

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
WEIGHTS_CACHE = "model-{key}.npy"   # in the folder ``keep_weights_in`` names: the weights as float32, mapped
_weights_folder: list[Path] = []    # the folder the weights are cached in (none: read from the wheel each time)


def keep_weights_in(folder: Path) -> None:
    """Cache the model's weights in ``folder`` (the state folder beside the search index): the wheel stores them
    as float16, and converting them costs every process a tenth of a second and ~30 MiB; the cached float32 copy
    is mapped, so a process reads only the rows of the tokens it looks up."""
    _weights_folder[:] = [folder]


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
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizers" / f"{MODEL}_tokenizer_config.json"))
        self.tokenizer.enable_padding()
        self.tokenizer.no_truncation()
        self.matrix = _weights(folder / "weights" / f"{MODEL}_{DIMS}.safetensors",
                               _weights_folder[0] if _weights_folder else None)

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


def _weights(source: Path, cache: Path | None) -> Any:
    """The model's weights as a float32 matrix: mapped from ``cache``'s copy when it holds one for this model id
    and this wheel file (size and time in its name), else read from the wheel and, with ``cache``, copied there
    (replacing copies of other models or wheels)."""
    numpy = numpy_module()
    cached = cache / WEIGHTS_CACHE.format(key=_cache_key(source)) if cache is not None else None
    if cached is not None:
        try:
            matrix = numpy.load(cached, mmap_mode="r")
            if matrix.dtype == numpy.float32 and matrix.ndim == 2 and matrix.shape[1] == DIMS:
                return matrix
        except (OSError, ValueError):
            pass   # missing or damaged: written again below
    from safetensors.numpy import load_file   # only when the state folder holds no copy

    matrix = numpy.ascontiguousarray(load_file(str(source))["embedding.weight"].astype(numpy.float32))
    if cached is not None:
        _keep(cached, WEIGHTS_CACHE.format(key="*"), matrix)
    return matrix


def _cache_key(source: Path) -> str:
    """This model id and this wheel's weights file (size and time): what a cached copy was derived from."""
    st = source.stat()
    return hashlib.sha256(f"{MODEL_ID}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]


def _keep(cached: Path, pattern: str, array: Any) -> None:
    """Write ``array`` to ``cached`` (a .npy), first deleting the folder's files matching ``pattern`` (copies
    derived from other models or wheels)."""
    if not cached.parent.is_dir():
        return
    from gitmem.atomic import write_atomic

    try:
        for old in cached.parent.glob(pattern):
            old.unlink(missing_ok=True)
        write_atomic(cached, _npy_bytes(numpy_module(), array))
    except OSError:
        pass   # a cache: without it the array is derived again by the next process, as now


def derived(name: str, parts: int, build: Callable[[], Sequence[Any]]) -> list[Any]:
    """The ``parts`` arrays ``build`` derives from the model (e.g. its vocabulary's words and rows), computed once
    and cached beside the weights (``keep_weights_in``) as ``<name>-<i>-<key>.npy`` under the weights' key (mapped
    when read); where no cache folder is set, or a copy is missing or unreadable, built (and written) again. Word
    lists are kept as numpy string arrays: no pickles."""
    numpy = numpy_module()
    if not _weights_folder:
        return [numpy.asarray(a) for a in build()]
    folder = _weights_folder[0]
    key = _cache_key(model_folder() / "weights" / f"{MODEL}_{DIMS}.safetensors")
    try:
        return [numpy.load(folder / f"{name}-{i}-{key}.npy", mmap_mode="r", allow_pickle=False) for i in range(parts)]
    except (OSError, ValueError):
        pass   # missing or damaged: written below
    arrays = [numpy.asarray(a) for a in build()]
    for i, array in enumerate(arrays):
        _keep(folder / f"{name}-{i}-{key}.npy", f"{name}-{i}-*.npy", array)
    return arrays


def _npy_bytes(numpy: Any, matrix: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    numpy.save(buffer, matrix, allow_pickle=False)
    return buffer.getvalue()


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
