"""XML signatures (XMLDSig, enveloped, ECDSA-SHA256) for edXML packages, with signxml.

The signature is checked against the certificate it carries; that certificate is then
validated like a PDF signer's — chain to the platform's root, not revoked — by
pyhanko-certvalidator with the platform's own revocation data.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError
from signxml import InvalidInput, InvalidSignature, SignatureMethod, XMLSigner, XMLVerifier
from signxml.algorithms import DigestAlgorithm
from signxml.verifier import SignatureConfiguration

from thudo.signing import aio, runtime
from thudo.signing.models import Certificate

# Never resolve entities, never fetch, no huge trees: the caller has already refused DTDs.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class XmlSignatureReport:
    valid: bool
    trusted: bool
    revoked: bool
    signer: str
    organization_identifier: str
    serial: str
    problem: str = ""


def sign(root: etree._Element, certificate: Certificate, key: object) -> etree._Element:
    chain = [
        x509.load_der_x509_certificate(bytes(certificate.der)),
        runtime.authority(certificate.authority.code).certificate,
    ]
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256
    )
    pem = [c.public_bytes(serialization.Encoding.PEM) for c in chain]
    return signer.sign(root, key=key, cert=pem)  # type: ignore[arg-type]


def verify(root: etree._Element) -> XmlSignatureReport:
    signature = root.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    if signature is None or not (signature.text or "").strip():
        return XmlSignatureReport(False, False, False, "", "", "", "no signature")
    try:
        leaf = x509.load_der_x509_certificate(_b64(signature.text or ""))
    except ValueError:
        return XmlSignatureReport(False, False, False, "", "", "", "unreadable certificate")
    names = leaf.subject
    signer = _attr(names, x509.NameOID.COMMON_NAME)
    org_id = _attr(names, x509.NameOID.ORGANIZATION_IDENTIFIER)
    serial = f"{leaf.serial_number:x}"
    try:
        XMLVerifier().verify(
            root,
            x509_cert=leaf,
            parser=PARSER,
            expect_config=SignatureConfiguration(
                signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
                digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
            ),
        )
    except (InvalidSignature, InvalidInput, ValueError) as exc:
        return XmlSignatureReport(False, False, False, signer, org_id, serial, str(exc)[:200])
    trusted, revoked, problem = _chain(leaf)
    return XmlSignatureReport(True, trusted, revoked, signer, org_id, serial, problem)


def _chain(leaf: x509.Certificate) -> tuple[bool, bool, str]:
    try:
        context = runtime.validation_context()
    except runtime.PkiNotReady:
        return False, False, "no trust anchor"
    validator = CertificateValidator(
        asn1_x509.Certificate.load(leaf.public_bytes(serialization.Encoding.DER)),
        validation_context=context,
    )
    try:
        aio.run(validator.async_validate_usage({"digital_signature"}))
    except RevokedError:
        return False, True, "certificate revoked"
    except (PathBuildingError, PathValidationError) as exc:
        return False, False, str(exc)[:200]
    return True, False, ""


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode("".join(text.split()))
