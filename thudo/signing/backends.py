"""Where private keys live and how a pyHanko signer is made from them.

``software`` (default): keys sealed in the database (``keystore``); server-held keys
(agency seals) are unsealed once and kept loaded, personal keys are opened with their
holder's PIN for each signing session. ``pkcs11``: the key stays in an HSM and pyHanko's
``PKCS11Signer`` signs through the token (``settings.SIGNING_PKCS11_*``); nothing else in
the platform changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from thudo.signing import keystore, runtime
from thudo.signing.models import Certificate


class Backend(Protocol):
    def signer(self, certificate: Certificate, *, pin: str | None) -> Signer: ...


def _chain_store(certificate: Certificate) -> SimpleCertificateStore:
    issuer = runtime.authority(certificate.authority.code)
    return SimpleCertificateStore.from_certs([issuer.asn1, runtime.root()])


class SoftwareBackend:
    """Keys sealed in the platform's key store."""

    def __init__(self, *, keep: int = 256) -> None:
        self.keep = keep
        self._loaded: OrderedDict[str, SimpleSigner] = OrderedDict()
        self._lock = threading.Lock()

    def _make(self, certificate: Certificate, key: object) -> SimpleSigner:
        der = key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return SimpleSigner(
            signing_cert=runtime.asn1(x509.load_der_x509_certificate(bytes(certificate.der))),
            signing_key=asn1_keys.PrivateKeyInfo.load(der),
            cert_registry=_chain_store(certificate),
        )

    def signer(self, certificate: Certificate, *, pin: str | None) -> Signer:
        sealed = bytes(certificate.sealed_key or b"")
        if not sealed:
            raise keystore.WrongSecret("no key is kept for this certificate")
        if keystore.needs_pin(sealed):
            # Personal keys: opened for this session only, never kept.
            return self._make(certificate, keystore.unseal(sealed, pin=pin))
        with self._lock:
            loaded = self._loaded.get(certificate.serial)
            if loaded is not None:
                self._loaded.move_to_end(certificate.serial)
                return loaded
        made = self._make(certificate, keystore.unseal(sealed))
        with self._lock:
            self._loaded[certificate.serial] = made
            while len(self._loaded) > self.keep:
                self._loaded.popitem(last=False)
        return made

    def forget(self, serial: str) -> None:
        with self._lock:
            self._loaded.pop(serial, None)


class Pkcs11Backend:
    """Keys in an HSM through PKCS#11 (pyHanko's PKCS11Signer), one token per platform;
    the key is found by the certificate's serial as its label."""

    def signer(self, certificate: Certificate, *, pin: str | None) -> Signer:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11

        session = pkcs11.open_pkcs11_session(
            settings.SIGNING_PKCS11_MODULE,
            token_criteria=TokenCriteria(label=settings.SIGNING_PKCS11_TOKEN),
            user_pin=pin or settings.SIGNING_PKCS11_PIN,
        )
        issuer = runtime.authority(certificate.authority.code)
        return pkcs11.PKCS11Signer(
            session,
            key_label=certificate.serial,
            signing_cert=runtime.asn1(x509.load_der_x509_certificate(bytes(certificate.der))),
            ca_chain=[issuer.asn1, runtime.root()],
        )


_backends: dict[str, Backend] = {"software": SoftwareBackend(), "pkcs11": Pkcs11Backend()}


def for_certificate(certificate: Certificate) -> Backend:
    return _backends[certificate.backend]


def forget(serial: str) -> None:
    software = _backends["software"]
    assert isinstance(software, SoftwareBackend)
    software.forget(serial)
