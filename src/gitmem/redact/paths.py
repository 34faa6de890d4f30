"""Files whose contents are never recorded."""

from __future__ import annotations

import re

# -- files never to record -------------------------------------------------------------------

_SENSITIVE_NAMES = {".env", ".envrc", ".npmrc", ".pypirc", ".netrc", "_netrc", ".git-credentials", ".pgpass",
                    ".htpasswd", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
_SENSITIVE_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".keystore", ".jks", ".env")
_TEMPLATE_SUFFIXES = ("example", "sample", "template")
_SECRETS_YAML = re.compile(r"secrets\.ya?ml")
_IN_FOLDER = {(".aws", "credentials"), (".kube", "config"), (".docker", "config.json")}


def is_sensitive_path(path: str) -> bool:
    """True for files whose contents must never be recorded: .env files, keys, credential stores."""
    if not isinstance(path, str) or not path:
        return False
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return False
    name = parts[-1].lower()
    parent = parts[-2].lower() if len(parts) > 1 else ""
    if name.startswith(".env."):
        return name.rsplit(".", 1)[-1] not in _TEMPLATE_SUFFIXES
    return (name in _SENSITIVE_NAMES or name.endswith(_SENSITIVE_SUFFIXES) or bool(_SECRETS_YAML.fullmatch(name))
            or (parent, name) in _IN_FOLDER)

