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
