"""The key store: private keys encrypted at rest.

Every private key is kept as PKCS#8 DER sealed with AES-256-GCM. The sealing key is
derived (HKDF-SHA256) from the platform's key-encryption key (``settings.SIGNING_KEK``) and
a per-key salt; for personal keys also from the holder's PIN, stretched with scrypt — so
neither a copy of the database nor the server's secret alone opens a person's key. A wrong
PIN fails the GCM tag check and nothing else is learnt.

This is the software back end; ``backends.py`` lets an HSM (PKCS#11) hold keys instead.
"""

from __future__ import annotations

import base64
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings

VERSION = b"k1"
# scrypt cost for PINs: ~50 ms on a server core, per signing session, not per page.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


class WrongSecret(Exception):
    """The sealed key did not open: wrong PIN (or a different key-encryption key)."""


@cache
def _kek() -> bytes:
    raw = settings.SIGNING_KEK
    if not raw:
        raise RuntimeError("THUDO_SIGNING_KEK is not set")
    try:
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        decoded = b""
    material = decoded if len(decoded) >= 32 else raw.encode("utf-8")
    if len(material) < 32:
        raise RuntimeError("THUDO_SIGNING_KEK must hold at least 32 bytes")
    return material


def _sealing_key(salt: bytes, pin: str | None) -> bytes:
    secret = _kek()
    if pin is not None:
        stretched = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
            pin.encode("utf-8")
        )
        secret += stretched
    return HKDF(hashes.SHA256(), 32, salt=salt, info=b"thudo-signing-key").derive(secret)


def seal(private_key: PrivateKeyTypes, *, pin: str | None = None) -> bytes:
    """``private_key`` sealed for storage; opened again only with the same PIN."""
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    flag = b"P" if pin is not None else b"S"
    aad = VERSION + flag
    box = AESGCM(_sealing_key(salt, pin)).encrypt(nonce, der, aad)
    return VERSION + flag + salt + nonce + box


def needs_pin(sealed: bytes) -> bool:
    return sealed[2:3] == b"P"


def unseal(sealed: bytes, *, pin: str | None = None) -> PrivateKeyTypes:
    if sealed[:2] != VERSION:
        raise ValueError("unknown key-store format")
    flag, salt, nonce, box = sealed[2:3], sealed[3:19], sealed[19:31], sealed[31:]
    if (flag == b"P") != (pin is not None):
        raise WrongSecret("this key needs a PIN" if flag == b"P" else "this key has no PIN")
    try:
        der = AESGCM(_sealing_key(salt, pin)).decrypt(nonce, box, VERSION + flag)
    except InvalidTag as exc:
        raise WrongSecret("the key did not open") from exc
    return serialization.load_der_private_key(der, password=None)


def reseal(sealed: bytes, *, old_pin: str | None, new_pin: str | None) -> bytes:
    """The same key under a new PIN (raises WrongSecret for a wrong old PIN)."""
    return seal(unseal(sealed, pin=old_pin), pin=new_pin)


def reset_cache() -> None:
    _kek.cache_clear()
