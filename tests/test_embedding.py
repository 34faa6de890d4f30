"""The optional semantic encoder: loads from the installed wheel alone, never touches the network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gitmem.index import embedding

pytestmark = pytest.mark.skipif(not embedding.available(), reason="gitmem[semantic] not installed")

# Runs in a fresh interpreter with an empty HOME, a dead proxy and every socket connect refused and logged:
# a hub lookup (the package's default loader does one) would show up in `attempts`.
PROBE = textwrap.dedent("""
    import json, socket, sys
    attempts = []
    real_connect = socket.socket.connect
    def refuse(self, address):
        attempts.append(repr(address))
        raise OSError("network disabled by the test")
    socket.socket.connect = refuse
    socket.socket.connect_ex = lambda self, address: (attempts.append(repr(address)), 111)[1]
    real_getaddrinfo = socket.getaddrinfo
    def no_dns(host, *args, **kwargs):
        attempts.append(f"dns {host}")
        raise socket.gaierror("network disabled by the test")
    socket.getaddrinfo = no_dns
    from gitmem.index import embedding
    vectors = embedding.encode(["the database connection pool size is twenty",
                                "how many postgres connections do we keep open",
                                "the logo is blue"])
    sims = (vectors @ vectors.T).tolist()
    print(json.dumps({"attempts": attempts, "shape": list(vectors.shape), "dtype": str(vectors.dtype),
                      "sims": sims}))
""")


def test_encoder_loads_offline_and_ranks_by_meaning(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(HOME=str(tmp_path), HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["attempts"] == []
    assert result["shape"] == [3, embedding.DIMS] and result["dtype"] == "float32"
    sims = result["sims"]
    assert abs(sims[0][0] - 1.0) < 1e-4                      # unit length
    assert sims[0][1] > sims[0][2] and sims[1][0] > sims[1][2]  # the paraphrase is nearer than the unrelated line
    assert not (tmp_path / "cache").exists()


def test_empty_input_gives_no_rows() -> None:
    assert embedding.encode([]).shape == (0, embedding.DIMS)


# wordllama's own loader and embed, in a fresh interpreter (its import sets up root logging and pulls the hub
# library, which gitmem never imports): the vectors gitmem computes from the wheel's files must be the same.
SAME = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import numpy
    from gitmem.index import embedding
    texts = ["the database connection pool size is twenty", "charge_retry backoff, not a fixed delay",
             "Probé orjson, pero rompe", "x", "a much longer line " * 40]
    ours = embedding._model().embed(texts)
    import wordllama
    from wordllama import WordLlama
    theirs = WordLlama.load(config=embedding.MODEL, cache_dir=Path(wordllama.__file__).parent, dim=embedding.DIMS,
                            disable_download=True).embed(texts, norm=True)
    print(json.dumps({"diff": float(numpy.abs(ours - theirs).max()), "shape": list(ours.shape),
                      "hub": "huggingface_hub" in sys.modules}))
""")


def test_vectors_are_wordllamas_own_without_importing_it() -> None:
    done = subprocess.run([sys.executable, "-c", SAME], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["shape"] == [5, embedding.DIMS] and result["diff"] < 1e-6


def test_encoding_imports_neither_wordllama_nor_the_hub_library() -> None:
    probe = ("import sys; from gitmem.index import embedding; embedding.encode(['connection pool']); "
             "print(sorted(m for m in ('wordllama', 'huggingface_hub', 'requests', 'pydantic') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _fresh_model(monkeypatch: pytest.MonkeyPatch, folder: Path | None) -> None:
    embedding._model.cache_clear()
    monkeypatch.setattr(embedding, "_weights_folder", [folder] if folder is not None else [])


def test_weights_are_cached_as_float32_in_the_state_folder_and_mapped_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["the database connection pool size is twenty", "the logo is blue"]
    _fresh_model(monkeypatch, None)
    from_wheel = embedding.encode(texts)
    _fresh_model(monkeypatch, tmp_path)
    first = embedding.encode(texts)            # reads the wheel, writes the cache
    cached = list(tmp_path.glob("model-*.npy"))
    assert len(cached) == 1
    _fresh_model(monkeypatch, tmp_path)
    again = embedding.encode(texts)            # maps the cache
    numpy = embedding.numpy_module()
    assert isinstance(embedding._model().matrix, numpy.memmap)
    assert from_wheel.tobytes() == first.tobytes() == again.tobytes()
    embedding._model.cache_clear()


def test_a_new_model_id_or_a_damaged_cache_writes_the_weights_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["retry the ledger writes with backoff"]
    _fresh_model(monkeypatch, tmp_path)
    expected = embedding.encode(texts)
    (old,) = tmp_path.glob("model-*.npy")
    monkeypatch.setattr(embedding, "MODEL_ID", embedding.MODEL_ID + "-next")
    _fresh_model(monkeypatch, tmp_path)
    assert embedding.encode(texts).tobytes() == expected.tobytes()
    (new,) = tmp_path.glob("model-*.npy")      # the other model's copy is gone
    assert new.name != old.name
    new.write_bytes(b"not a numpy file")
    _fresh_model(monkeypatch, tmp_path)
    assert embedding.encode(texts).tobytes() == expected.tobytes()
    numpy = embedding.numpy_module()
    assert numpy.load(new, mmap_mode="r").shape[1] == embedding.DIMS   # written again
    embedding._model.cache_clear()


def test_the_search_index_caches_the_weights_beside_it(repo: Path) -> None:
    from gitmem.app.project import init_repository
    from gitmem.git import discover
    from gitmem.index import index_file, search

    gm = discover(repo)
    init_repository(gm)
    embedding._model.cache_clear()
    search.search(gm, "anything at all")
    index_file.rebuild_index(gm)
    embedding.encode(["x"])
    assert list(index_file.index_path(gm).parent.glob("model-*.npy"))
    embedding._model.cache_clear()
