"""The page itself: one self-contained HTML file, the data embedded as JSON that no memory text can break out of.

Invariants:
- No network: the CSS and the script are inline (``assets/``), and the Content-Security-Policy allows no
  source at all beyond them (``default-src 'none'``); the script is allowed by its hash, not by
  ``'unsafe-inline'``, so an attribute such as ``onerror=`` would not run even if one reached the DOM.
- The data sits in ``<script type="application/json">`` and holds no ``<``, ``>`` or ``&`` and no
  character outside ASCII (all written as ``\\uXXXX``): memory text cannot close the element, open a
  comment, write a tag (a fence's ``</gitmem-memory>`` included, in any look-alike form) or an entity.
- The script puts memory text into the page with ``textContent`` only (see ``assets/page.js``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import string
from importlib import resources
from typing import Any

from gitmem import __version__

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def embed_json(document: Any) -> str:
    """``document`` as JSON text safe between ``<script type="application/json">`` and ``</script>``."""
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", _ESCAPES["<"]).replace(">", _ESCAPES[">"]).replace("&", _ESCAPES["&"])


def _asset(name: str) -> str:
    return resources.files("gitmem.view").joinpath(f"assets/{name}").read_text(encoding="utf-8")


def render_page(document: dict[str, Any]) -> str:
    """The whole HTML page for ``document`` (``page_data.collect``)."""
    script = _asset("page.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return string.Template(_asset("page.html")).substitute(
        csp=csp, title=html.escape(f"gitmem: {document.get('repository', '')}"), version=__version__,
        style=_asset("page.css"), data=embed_json(document), script=script)
