"""Plain data of the signing module (chữ ký số), for other modules and for its pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError, Conflict, InvalidInput

# Certificate profiles (loại chứng thư số).
SEAL = "seal"  # an agency's seal (con dấu điện tử của cơ quan)
OFFICIAL = "official"  # an official signing for their agency
CITIZEN = "citizen"  # a citizen (chứng thư số công dân)
PERSONAL_PROFILES = (OFFICIAL, CITIZEN)

# Signature levels (PAdES baseline).
B_B = "B-B"
B_T = "B-T"
B_LT = "B-LT"
LEVELS = (B_B, B_T, B_LT)


class PinInvalid(InvalidInput):
    code = "pin_invalid"
    title = _("Mã PIN không đúng")


class PinLocked(ApplicationError):
    code = "pin_locked"
    status = 423
    title = _("Mã PIN bị khóa tạm thời do nhập sai nhiều lần")


class CertificateNotUsable(Conflict):
    code = "certificate_not_usable"
    title = _("Chứng thư số không dùng được (đã thu hồi, hết hạn hoặc chưa có hiệu lực)")


class PdfInvalid(InvalidInput):
    code = "pdf_invalid"
    title = _("Tệp không phải PDF hợp lệ")


@dataclass(frozen=True)
class CertificateInfo:
    serial: str
    profile: str
    subject: str
    holder_name: str
    title: str
    agency_code: str
    agency_name: str
    issuer: str
    not_before: datetime
    not_after: datetime
    status: str
    revoked_at: datetime | None
    fingerprint_sha256: str


@dataclass(frozen=True)
class Appearance:
    """What a visible signature shows (Decree 30: signer's authority, position, name, time;
    optionally the signature image, or the agency's red seal overlapping its left third).
    Coordinates are PDF points from the bottom-left corner of ``page`` (0-based)."""

    page: int = 0
    box: tuple[int, int, int, int] = (330, 60, 560, 150)
    authority: str = ""  # e.g. "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH"
    position: str = ""  # e.g. "PHÓ CHỦ TỊCH"
    name: str = ""  # defaults to the certificate's holder
    image_png: bytes | None = None  # the signer's signature (blue) or the seal (red)
    visible: bool = True


@dataclass(frozen=True)
class SignatureReport:
    """One signature of a PDF, as the validator found it."""

    field_name: str
    signer: str
    signer_serial: str
    issuer: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    level: str
    intact: bool
    valid: bool
    trusted: bool
    # "good" | "revoked" | "revoked_later" (after the trusted timestamp) | "unknown"
    revocation: str
    covers_whole_document: bool
    modified_after: str  # "none" | "allowed" (later signatures, form filling) | "other"
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.valid
            and self.trusted
            and self.revocation != "revoked"
            and self.modified_after != "other"
        )


@dataclass(frozen=True)
class ValidationReport:
    signatures: tuple[SignatureReport, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)
