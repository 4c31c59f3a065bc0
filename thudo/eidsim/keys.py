"""The simulator's ID-token signing key (RS256) and the JWKS that publishes it.

The key is generated once into ``settings.VAR_DIR / "eidsim_signing_key.pem"`` (mode 0600)
unless ``settings.EIDSIM_SIGNING_KEY_FILE`` names another file. Several processes may
start at once (gunicorn workers, test workers): the file is published with a hard link,
which fails when another process got there first, so every process ends up with the
same key.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from joserfc.jwk import KeySet, RSAKey

ALGORITHM = "RS256"
KEY_BITS = 2048

_lock = threading.Lock()
_loaded: dict[Path, RSAKey] = {}


def key_path() -> Path:
    configured = settings.EIDSIM_SIGNING_KEY_FILE
    return Path(configured) if configured else Path(settings.VAR_DIR) / "eidsim_signing_key.pem"


def _publish_new_key(path: Path) -> None:
    pem = RSAKey.generate_key(KEY_BITS, private=True).as_pem(private=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    draft.touch(mode=0o600)
    try:
        draft.chmod(0o600)
        draft.write_bytes(pem)
        # Losing the race is fine: the winner's key is the one everybody reads.
        with contextlib.suppress(FileExistsError):
            path.hardlink_to(draft)
    finally:
        draft.unlink(missing_ok=True)


def signing_key() -> RSAKey:
    """The private key, with its ``kid`` (the RFC 7638 thumbprint) set."""
    path = key_path()
    with _lock:
        key = _loaded.get(path)
        if key is None:
            if not path.exists():
                _publish_new_key(path)
            raw = RSAKey.import_key(path.read_bytes())
            key = RSAKey.import_key(
                path.read_bytes(),
                parameters={"kid": raw.thumbprint(), "use": "sig", "alg": ALGORITHM},
            )
            _loaded[path] = key
        return key


def public_jwks() -> dict[str, Any]:
    key = signing_key()
    return {"keys": [key.as_dict(private=False)]}


def public_key_set() -> KeySet:
    return KeySet([RSAKey.import_key(signing_key().as_dict(private=False))])
