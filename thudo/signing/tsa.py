"""The RFC 3161 timestamping authority (dịch vụ cấp dấu thời gian).

pyHanko ships only a test-grade, RSA-only responder, so the response is assembled here
with asn1crypto (what pyHanko itself is built on) and signed ECDSA P-256 with the TSA's
key: TSTInfo with our policy, the imprint, a random serial and the nonce; a CMS SignedData
with content-type, signing-time, ESS signing-certificate-v2 and message-digest attributes.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper

from thudo.signing.pki import TSA_POLICY

HASH_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}


class TimestampRefused(Exception):
    def __init__(self, failure: str, text: str) -> None:
        super().__init__(text)
        self.failure = failure  # PKIFailureInfo name: bad_alg, bad_request, bad_data_format


class TimestampAuthority:
    """Signs timestamp tokens; built once with the TSA's loaded key and kept."""

    def __init__(
        self,
        certificate: asn1_x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        chain: list[asn1_x509.Certificate],
    ) -> None:
        self.certificate = certificate
        self.key = key
        self.chain = chain
        # The parts that never change, kept as DER: asn1crypto deep-copies parsed values
        # each time they are put into a new structure, which cost ~5 ms a timestamp.
        self._sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
                )
            }
        ).dump()
        self._signing_certificate = simple_cms_attribute(
            "signing_certificate_v2", as_signing_certificate_v2(certificate)
        ).dump()
        self._content_type = simple_cms_attribute("content_type", "tst_info").dump()
        self._tsa_name = asn1_x509.GeneralName(
            name="directory_name", value=certificate.subject
        ).dump()
        self._certificates = [c.dump() for c in [certificate, *chain]]

    def respond(
        self, request: tsp.TimeStampReq, *, now: datetime | None = None
    ) -> tsp.TimeStampResp:
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if algorithm not in HASH_LENGTHS:
            raise TimestampRefused("bad_alg", f"unsupported hash algorithm {algorithm}")
        if len(imprint["hashed_message"].native) != HASH_LENGTHS[algorithm]:
            raise TimestampRefused("bad_data_format", "the imprint has the wrong length")
        policy = request["req_policy"].native
        if policy is not None and policy != TSA_POLICY:
            raise TimestampRefused("unaccepted_policy", f"policy {policy} is not offered")
        moment = (now or datetime.now(UTC)).replace(microsecond=0)
        info: dict[str, Any] = {
            "version": "v1",
            "policy": TSA_POLICY,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(120),
            "gen_time": moment,
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName.load(self._tsa_name),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"]
        tst_info = tsp.TSTInfo(info).dump()
        digest = hashes.Hash(hashes.SHA256())
        digest.update(tst_info)
        attributes = _der_set(
            [
                self._content_type,
                simple_cms_attribute(
                    "signing_time", cms.Time({"utc_time": core.UTCTime(moment)})
                ).dump(),
                self._signing_certificate,
                simple_cms_attribute("message_digest", digest.finalize()).dump(),
            ]
        )
        signature = self.key.sign(attributes, ec.ECDSA(hashes.SHA256()))
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(self._sid),
                "digest_algorithm": {"algorithm": "sha256"},
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signed_attrs": cms.CMSAttributes.load(attributes),
                "signature": signature,
            }
        )
        certificates = (
            [cms.CertificateChoices.load(der) for der in self._certificates]
            if request["cert_req"].native
            else []
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [{"algorithm": "sha256"}],
                "encap_content_info": {
                    "content_type": "tst_info",
                    "content": cms.ParsableOctetString(tst_info),
                },
                "certificates": certificates,
                "signer_infos": [signer_info],
            }
        )
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})

    def answer(self, body: bytes) -> bytes:
        """The DER answer to a DER request, a refusal (never an exception) if it is bad."""
        try:
            request = tsp.TimeStampReq.load(body)
            request.native  # noqa: B018 - parses everything now, so bad input fails here
            return self.respond(request).dump()
        except TimestampRefused as refused:
            return _refusal(refused.failure, str(refused))
        except (ValueError, TypeError, KeyError):
            return _refusal("bad_data_format", "not a TimeStampReq")


def _der_set(encodings: list[bytes]) -> bytes:
    """DER of a SET OF from its members' DER: sorted, then tagged (X.690 §11.6)."""
    body = b"".join(sorted(encodings))
    length = len(body)
    if length < 0x80:
        header = bytes([length])
    else:
        size = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([0x80 | len(size)]) + size
    return b"\x31" + header + body


class _Refusal(core.Sequence):
    """A TimeStampResp without a token (RFC 3161 §2.4.2: absent unless granted), which
    asn1crypto's ``TimeStampResp`` cannot dump: its token is not marked optional."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _refusal(failure: str, text: str) -> bytes:
    return _Refusal(
        {
            "status": {
                "status": "rejection",
                "status_string": [text[:200]],
                "fail_info": tsp.PKIFailureInfo({failure}),
            }
        }
    ).dump()


class LocalTimeStamper(TimeStamper):
    """pyHanko's timestamper interface over the platform's own TSA, in process: signing a
    document needs no HTTP round trip to ourselves."""

    def __init__(self, authority: TimestampAuthority) -> None:
        super().__init__(include_nonce=True)
        self.authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        # Handed over as freshly loaded DER, which pyHanko copies into the signature
        # cheaply (a parsed value is copied member by member).
        return tsp.TimeStampResp.load(self.authority.respond(req).dump())
