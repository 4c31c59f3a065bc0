"""The hub's signing key (ES256): access tokens, response receipts, upstream assertions.

Kept in ``settings.EXCHANGE_SIGNING_KEY_FILE`` (PEM) or generated once into ``var/``.
Its public half is published as a JWKS so that anyone can verify what the hub signed.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from joserfc.jwk import ECKey, KeySet

ALGORITHM = "ES256"
_lock = threading.Lock()


def key_path() -> Path:
    configured = settings.EXCHANGE_SIGNING_KEY_FILE
    return Path(configured) if configured else Path(settings.VAR_DIR) / "exchange_signing_key.pem"


def _load_or_create_pem() -> bytes:
    path = key_path()
    with _lock:
        if not path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pem)
            path.chmod(0o600)
        return path.read_bytes()


@cache
def _key_at(path: Path) -> ECKey:
    key = ECKey.import_key(_load_or_create_pem())
    key.ensure_kid()
    return key


_loaded_from: Path | None = None


def signing_key() -> ECKey:
    """The private key as a JWK, with ``kid`` = its RFC 7638 thumbprint. Kept loaded; a
    different configured key file (another var/ directory) is loaded afresh."""
    global _loaded_from
    path = key_path()
    if path != _loaded_from:
        from thudo.exchange import jws

        jws.reset_cache()
        _loaded_from = path
    return _key_at(path)


def jwks() -> dict[str, Any]:
    """The public JWKS (current key plus any published previous keys)."""
    keys = [signing_key().as_dict(private=False, use="sig", alg=ALGORITHM)]
    for extra in settings.EXCHANGE_PUBLISHED_KEY_FILES:
        old = ECKey.import_key(Path(extra).read_bytes())
        old.ensure_kid()
        keys.append(old.as_dict(private=False, use="sig", alg=ALGORITHM))
    return {"keys": keys}


def public_keyset() -> KeySet:
    return KeySet.import_key_set(jwks())  # type: ignore[arg-type]  # a JWKS dict


def reset_cache() -> None:
    """Forget the loaded key (tests that switch key files)."""
    from thudo.exchange import jws

    global _loaded_from
    _key_at.cache_clear()
    _loaded_from = None
    jws.reset_cache()
