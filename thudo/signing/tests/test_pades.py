"""PAdES signing: the three levels, signatures in sequence, the DSS, the visible block,
checked by our validator and independently by poppler's ``pdfsig`` (NSS) and
``pdftotext``; and who may sign with which certificate, with which PIN."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp
from django.utils import timezone
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from thudo.core.errors import InvalidInput, PermissionDenied
from thudo.core.models import AuditEvent, Role
from thudo.core.tests.factories import official
from thudo.signing import backends, pades, runtime, services, stampfont, validation
from thudo.signing import pki as pkix
from thudo.signing.contracts import (
    Appearance,
    CertificateNotUsable,
    PinInvalid,
    PinLocked,
    SignatureReport,
)
from thudo.signing.models import Certificate
from thudo.signing.tests.factories import PIN, sample_pdf
from thudo.signing.tests.tools import (
    POPPLER_STALE_ERROR,
    OcspResponder,
    nss_database,
    ocsp_responder,
    openssl_cms_verify,
    parse_pdfsig,
    poppler_version,
    require_pdf_tools,
    run,
)

COMMUNE_A = "Ủy ban nhân dân Phường Ba Đình"
OFFICIALS_CA = (
    "Common Name: Thủ Đô Số CA cho cơ quan và cán bộ, Organization: Thủ Đô Số, Country: VN"
)


@pytest.fixture
def seal_a(city: Any, pki: None) -> Certificate:
    return services.certificate_issue_seal(actor=None, agency=city.commune_a)


def holder(city: Any, full_name: str, role: str = Role.SPECIALIST) -> tuple[Any, Certificate]:
    person = official(city.commune_a, role=role, full_name=full_name)
    certificate = services.certificate_issue_official(
        actor=city.admin_a, agency=city.commune_a, official=person, pin=PIN
    )
    return person, certificate


@pytest.fixture
def specialist(city: Any, pki: None) -> tuple[Any, Certificate]:
    return holder(city, "Trần Thị Bình")


@pytest.fixture
def leader(city: Any, pki: None) -> tuple[Any, Certificate]:
    return holder(city, "Lê Văn Cường", Role.LEADER)


def near_now(moment: datetime | None, seconds: int = 30) -> bool:
    return moment is not None and abs(moment - datetime.now(UTC)) < timedelta(seconds=seconds)


def ok_signature(
    signature: SignatureReport,
    *,
    field_name: str,
    signer: str,
    serial: str,
    level: str,
    whole: bool,
    modified: str,
) -> None:
    assert (
        signature.field_name,
        signature.signer,
        signature.signer_serial,
        signature.issuer,
        signature.level,
        signature.intact,
        signature.valid,
        signature.trusted,
        signature.revocation,
        signature.covers_whole_document,
        signature.modified_after,
        signature.problems,
    ) == (field_name, signer, serial, OFFICIALS_CA, level, True, True, True, "good", whole,
          modified, ())  # fmt: skip
    assert signature.ok
    assert near_now(signature.signing_time)
    if level == "B-B":
        assert signature.timestamp_time is None
    else:
        assert near_now(signature.timestamp_time)


# --- the levels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "whole", "modified"),
    [("B-B", True, "none"), ("B-T", True, "none"), ("B-LT", False, "allowed")],
)
def test_each_level_validates(
    city: Any, seal_a: Certificate, level: str, whole: bool, modified: str
) -> None:
    signed = services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=sample_pdf(),
                               level=level)  # fmt: skip

    report = validation.validate(signed)
    assert report.ok and report.problems == ()
    [signature] = report.signatures
    ok_signature(signature, field_name="Signature1", signer=COMMUNE_A, serial=seal_a.serial,
                 level=level, whole=whole, modified=modified)  # fmt: skip
    event = AuditEvent.objects.filter(action="signing.pdf.sign").get()
    assert (event.actor, event.agency, event.object_id) == (
        city.clerk_a,
        city.commune_a,
        seal_a.serial,
    )
    assert event.payload["level"] == level
    # Incremental: the original document is the signed file's first bytes.
    assert signed.startswith(sample_pdf()[:1000])


def test_the_signature_is_pades_with_our_timestamp(city: Any, seal_a: Certificate) -> None:
    signed = services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=sample_pdf(),
                               level="B-T")  # fmt: skip
    reader = PdfFileReader(io.BytesIO(signed))
    [embedded] = reader.embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Filter"] == "/Adobe.PPKLite"
    byte_range = list(embedded.sig_object["/ByteRange"])
    assert byte_range[0] == 0 and byte_range[2] + byte_range[3] == len(signed)

    signer_info = embedded.signer_info
    assert signer_info["digest_algorithm"]["algorithm"].native == "sha256"
    assert signer_info["signature_algorithm"]["algorithm"].native in ("sha256_ecdsa", "ecdsa")
    signed_attrs = {a["type"].native for a in signer_info["signed_attrs"]}
    # PAdES baseline: the signing certificate is bound, no signing-time attribute.
    assert {"content_type", "message_digest", "signing_certificate_v2"} <= signed_attrs
    assert "signing_time" not in signed_attrs
    [token_attr] = [
        a for a in signer_info["unsigned_attrs"] if a["type"].native == "signature_time_stamp_token"
    ]
    token: cms.ContentInfo = token_attr["values"][0]
    info = token["content"]["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    assert info["policy"].native == pkix.TSA_POLICY
    signer_id = token["content"]["signer_infos"][0]["sid"].chosen
    [tsa] = [
        c.chosen
        for c in token["content"]["certificates"]
        if c.chosen.issuer == signer_id["issuer"]
        and c.chosen.serial_number == signer_id["serial_number"].native
    ]
    assert tsa.subject.native["common_name"] == "Thủ Đô Số Time-Stamping Authority"
    assert tsa.extended_key_usage_value.native == ["time_stamping"]


def test_b_lt_embeds_ocsp_and_crls_in_the_dss(city: Any, seal_a: Certificate) -> None:
    signed = services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=sample_pdf(),
                               level="B-LT")  # fmt: skip
    reader = PdfFileReader(io.BytesIO(signed))
    dss = reader.root["/DSS"]
    ocsps = [ocsp.load_der_ocsp_response(ref.get_object().data) for ref in dss["/OCSPs"]]
    crls = [x509.load_der_x509_crl(ref.get_object().data) for ref in dss["/CRLs"]]
    certs = [x509.load_der_x509_certificate(ref.get_object().data) for ref in dss["/Certs"]]

    [answer] = ocsps
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == int(seal_a.serial, 16)
    officials = runtime.authority("officials").certificate
    # ResponderID byKey: SHA-1 of the responder's public key (RFC 6960 §4.2.2.3).
    assert answer.responder_key_hash == pkix.key_hash(officials, hashes.SHA1())  # noqa: S303 - RFC 6960
    assert {c.issuer for c in crls} >= {
        officials.subject,
        runtime.authority("root").certificate.subject,
    }
    for revocation_list in crls:
        assert len(revocation_list) == 0
    subjects = {c.subject for c in certs}
    assert {officials.subject, runtime.authority("root").certificate.subject} <= subjects
    tsa = x509.load_der_x509_certificate(bytes(Certificate.objects.get(profile="tsa").der))
    assert tsa.subject in subjects


def test_three_signatures_in_sequence(
    city: Any,
    seal_a: Certificate,
    specialist: tuple[Any, Certificate],
    leader: tuple[Any, Certificate],
) -> None:
    """A specialist initials, the leader signs, the clerk applies the seal: every earlier
    signature stays valid and sees only allowed changes after it."""
    (specialist_user, specialist_cert), (leader_user, leader_cert) = specialist, leader
    first = services.pdf_sign(
        actor=specialist_user, certificate=specialist_cert, pdf=sample_pdf(), pin=PIN,
        level="B-LT", appearance=Appearance(box=(40, 60, 200, 120), position="CHUYÊN VIÊN"),
    )  # fmt: skip
    second = services.pdf_sign(
        actor=leader_user, certificate=leader_cert, pdf=first, pin=PIN, level="B-LT",
        appearance=Appearance(box=(330, 60, 560, 150), authority="KT. CHỦ TỊCH",
                              position="PHÓ CHỦ TỊCH"),
    )  # fmt: skip
    third = services.pdf_sign(
        actor=city.clerk_a, certificate=seal_a, pdf=second, level="B-LT",
        appearance=Appearance(box=(300, 50, 420, 170), authority="TM. ỦY BAN NHÂN DÂN"),
    )  # fmt: skip
    assert third.startswith(second) and second.startswith(first)

    report = validation.validate(third)
    assert report.ok
    assert [s.field_name for s in report.signatures] == ["Signature1", "Signature2", "Signature3"]
    expected = [
        ("Trần Thị Bình", specialist_cert.serial),
        ("Lê Văn Cường", leader_cert.serial),
        (COMMUNE_A, seal_a.serial),
    ]
    for signature, (signer, serial), name in zip(
        report.signatures, expected, ["Signature1", "Signature2", "Signature3"], strict=True
    ):
        ok_signature(signature, field_name=name, signer=signer, serial=serial, level="B-LT",
                     whole=False, modified="allowed")  # fmt: skip


def test_a_b_t_signature_after_b_lt_ones_is_reported_as_b_t(
    city: Any, seal_a: Certificate, specialist: tuple[Any, Certificate]
) -> None:
    """The DSS written for an earlier signature does not make a later one B-LT."""
    user, certificate = specialist
    first = services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin=PIN,
                              level="B-LT")  # fmt: skip
    second = services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=first, level="B-T")

    report = validation.validate(second)
    assert report.ok
    assert [(s.level, s.modified_after, s.covers_whole_document) for s in report.signatures] == [
        ("B-LT", "allowed", False),
        ("B-T", "none", True),
    ]


def test_signing_twice_into_the_same_field_name_is_avoided(city: Any, seal_a: Certificate) -> None:
    once = services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=sample_pdf(), level="B-B")
    assert pades.next_field_name(once) == "Signature2"
    twice = services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=once, level="B-B")
    assert [s.field_name for s in validation.validate(twice).signatures] == [
        "Signature1",
        "Signature2",
    ]


# --- poppler (NSS) as an independent validator --------------------------------------------


@pytest.fixture
def served(settings: Any, db: None, request: pytest.FixtureRequest) -> Iterator[OcspResponder]:
    """The PKI with its OCSP URL on a live responder: NSS checks revocation online."""
    require_pdf_tools()
    with ocsp_responder() as responder:
        settings.SIGNING_BASE_URL = responder.url
        request.getfixturevalue("pki")
        yield responder


@pytest.mark.parametrize(("level", "whole"), [("B-B", True), ("B-T", True), ("B-LT", False)])
def test_pdfsig_trusts_each_level(
    city: Any, served: OcspResponder, tmp_path: Path, level: str, whole: bool
) -> None:
    nss = nss_database(tmp_path / "nss")
    user, certificate = holder(city, "Trần Thị Bình")
    path = tmp_path / "signed.pdf"
    path.write_bytes(
        services.pdf_sign(
            actor=user, certificate=certificate, pdf=sample_pdf(), pin=PIN, level=level
        )
    )

    done = served.run("pdfsig", "-nssdir", nss, path)
    assert done.returncode == 0, done.stderr
    [found] = parse_pdfsig(done.stdout)
    assert (found.field_name, found.signer, found.signature, found.certificate) == (
        "Signature1",
        "Trần Thị Bình",
        "Signature is Valid.",
        "Certificate is Trusted.",
    )
    assert found.whole_document is whole
    assert served.seen, "NSS did not ask our OCSP responder"


def test_pdfsig_and_openssl_check_three_signatures_in_sequence(
    city: Any, served: OcspResponder, tmp_path: Path
) -> None:
    nss = nss_database(tmp_path / "nss")
    seal = services.certificate_issue_seal(actor=None, agency=city.commune_a)
    user, certificate = holder(city, "Trần Thị Bình")
    boss, boss_certificate = holder(city, "Lê Văn Cường", Role.LEADER)
    pdf = services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin=PIN,
                            level="B-LT")  # fmt: skip
    pdf = services.pdf_sign(actor=boss, certificate=boss_certificate, pdf=pdf, pin=PIN,
                            level="B-LT")  # fmt: skip
    pdf = services.pdf_sign(actor=city.clerk_a, certificate=seal, pdf=pdf, level="B-T")
    folder = tmp_path / "check"
    folder.mkdir()
    path = folder / "signed.pdf"
    path.write_bytes(pdf)

    found = parse_pdfsig(served.run("pdfsig", "-nssdir", nss, path).stdout)
    assert [(s.field_name, s.signer, s.signature) for s in found] == [
        ("Signature1", "Trần Thị Bình", "Signature is Valid."),
        ("Signature2", "Lê Văn Cường", "Signature is Valid."),
        ("Signature3", COMMUNE_A, "Signature is Valid."),
    ]
    assert found[0].certificate == "Certificate is Trusted."
    later = {"Certificate is Trusted."}
    if poppler_version() < (23, 0):
        later.add(POPPLER_STALE_ERROR)
    assert {s.certificate for s in found[1:]} <= later
    assert [s.whole_document for s in found] == [False, False, True]
    # OpenSSL, on its own, checks every signature and its chain.
    (folder / "root.pem").write_bytes((tmp_path / "nss" / "root.pem").read_bytes())
    assert openssl_cms_verify(path) == [(0, "CMS Verification successful")] * 3
    assert validation.validate(pdf).ok


def test_pdfsig_sees_a_revoked_certificate(
    city: Any, served: OcspResponder, tmp_path: Path
) -> None:
    nss = nss_database(tmp_path / "nss")
    seal = services.certificate_issue_seal(actor=None, agency=city.commune_a)
    path = tmp_path / "signed.pdf"
    path.write_bytes(
        services.pdf_sign(actor=city.clerk_a, certificate=seal, pdf=sample_pdf(), level="B-T")
    )
    services.certificate_revoke(actor=None, certificate=seal, reason="keyCompromise")

    [found] = parse_pdfsig(served.run("pdfsig", "-nssdir", nss, path).stdout)
    assert (found.signature, found.certificate) == (
        "Signature is Valid.",
        "Certificate has been Revoked.",
    )


def test_pdfsig_does_not_trust_without_our_root(
    city: Any, served: OcspResponder, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run("certutil", "-N", "-d", f"sql:{empty}", "--empty-password", check=True)
    seal = services.certificate_issue_seal(actor=None, agency=city.commune_a)
    path = tmp_path / "signed.pdf"
    path.write_bytes(
        services.pdf_sign(actor=city.clerk_a, certificate=seal, pdf=sample_pdf(), level="B-B")
    )
    [found] = parse_pdfsig(served.run("pdfsig", "-nssdir", f"sql:{empty}", path).stdout)
    assert found.signature == "Signature is Valid."
    assert found.certificate == "Certificate issuer isn't Trusted."


# --- the visible block (Decree 30) --------------------------------------------------------


def png_seal() -> bytes:
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((5, 5, 195, 195), outline=(200, 0, 0, 255), width=8)
    draw.ellipse((40, 40, 160, 160), outline=(200, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def pdftotext(pdf: bytes, folder: Path) -> list[str]:
    require_pdf_tools()
    path = folder / "visible.pdf"
    path.write_bytes(pdf)
    done = run("pdftotext", "-layout", path, "-", check=True)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def signed_with(signer: Any, appearance: Appearance, *, when: datetime | None = None) -> bytes:
    return pades.sign(sample_pdf(), signer=signer, level="B-B", holder_name="Nguyễn Văn A",
                      appearance=appearance, when=when)  # fmt: skip


@pytest.fixture
def seal_signer(seal_a: Certificate) -> Any:
    return backends.for_certificate(seal_a).signer(seal_a, pin=None)


def test_visible_block_shows_authority_position_name_and_time(
    seal_signer: Any, tmp_path: Path
) -> None:
    appearance = Appearance(authority="TM. ỦY BAN NHÂN DÂN", position="KT. CHỦ TỊCH",
                            name="Phạm Thị Dung")  # fmt: skip
    when = datetime(2026, 3, 4, 1, 2, 3, tzinfo=UTC)
    signed = signed_with(seal_signer, appearance, when=when)

    lines = pdftotext(signed, tmp_path)
    block = lines[lines.index("TM. ỦY BAN NHÂN DÂN") :]
    # 01:02:03 UTC is 08:02:03 in Hà Nội.
    assert block == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "Phạm Thị Dung",
                     "Ký số: 04/03/2026 08:02:03"]  # fmt: skip
    assert "QUYẾT ĐỊNH về việc thử nghiệm chữ ký số" in lines
    reader = PdfFileReader(io.BytesIO(signed))
    [widget] = [a.get_object() for a in reader.root["/Pages"]["/Kids"][0]["/Annots"]]
    assert [int(v) for v in widget["/Rect"]] == [330, 60, 560, 150]
    assert validation.validate(signed).ok


def test_the_name_defaults_to_the_holder(seal_signer: Any, tmp_path: Path) -> None:
    lines = pdftotext(signed_with(seal_signer, Appearance(position="CHỦ TỊCH")), tmp_path)
    block = lines[lines.index("CHỦ TỊCH") :]
    assert block[1] == "Nguyễn Văn A" and block[2].startswith("Ký số: ")


def images_in(stream: Any, seen: set[int] | None = None) -> int:
    """Image XObjects reachable from an appearance stream."""
    seen = seen if seen is not None else set()
    count = 0
    resources = stream.get("/Resources")
    if resources is None:
        return 0
    for ref in resources.get("/XObject", generic.DictionaryObject()).values():
        target = ref.get_object()
        if id(target) in seen:
            continue
        seen.add(id(target))
        if target.get("/Subtype") == "/Image":
            count += 1
        else:
            count += images_in(target, seen)
    return count


def test_appearance_with_a_seal_image(seal_signer: Any, tmp_path: Path) -> None:
    appearance = Appearance(authority="TM. ỦY BAN NHÂN DÂN", position="CHỦ TỊCH",
                            image_png=png_seal())  # fmt: skip
    signed = signed_with(seal_signer, appearance)

    reader = PdfFileReader(io.BytesIO(signed))
    [widget] = [a.get_object() for a in reader.root["/Pages"]["/Kids"][0]["/Annots"]]
    assert images_in(widget["/AP"]["/N"].get_object()) == 1
    assert "CHỦ TỊCH" in pdftotext(signed, tmp_path)
    assert validation.validate(signed).ok


def embedded_outlines(pdf: bytes) -> tuple[Any, set[int]]:
    """The font program embedded by the last signature, and its glyph ids with outlines."""
    reader = PdfFileReader(io.BytesIO(pdf))
    last = reader.xrefs.total_revisions - 1
    [program] = [
        obj["/FontFile2"].get_object().data
        for ref in reader.xrefs.explicit_refs_in_revision(last)
        if isinstance(obj := ref.get_object(), generic.DictionaryObject) and "/FontFile2" in obj
    ]
    font = TTFont(io.BytesIO(program))
    glyf = font["glyf"]
    order = font.getGlyphOrder()
    return font, {gid for gid, name in enumerate(order) if glyf[name].numberOfContours != 0}


def glyph_ids(text: str) -> set[int]:
    shared = stampfont._prepared(pades.font_path()).tt
    cmap = shared.getBestCmap()
    return {shared.getGlyphID(cmap[ord(c)]) for c in text if not c.isspace()}


def test_stamp_font_subsets_are_shared_only_by_blocks_with_the_same_glyphs(
    seal_signer: Any, tmp_path: Path
) -> None:
    stampfont.reset()
    when = datetime(2026, 3, 4, 1, 2, 3, tzinfo=UTC)
    first = signed_with(seal_signer, Appearance(name="Phạm Thị Dung"), when=when)
    again = signed_with(seal_signer, Appearance(name="Phạm Thị Dung"), when=when)
    other = signed_with(seal_signer, Appearance(name="Đỗ Quốc Việt"), when=when)
    assert len(stampfont._subsets) == 2

    for pdf, name in ((first, "Phạm Thị Dung"), (again, "Phạm Thị Dung"), (other, "Đỗ Quốc Việt")):
        assert name in pdftotext(pdf, tmp_path)
        _font, outlined = embedded_outlines(pdf)
        # Every glyph the block shows has its outline in the font embedded with it.
        assert glyph_ids(name + "Ký số: 04/03/2026 08:02:03") <= outlined
        assert validation.validate(pdf).ok
    # Glyph ids are kept (TrueType subset, Identity mapping); others are empty.
    assert not glyph_ids("Đỗ") <= embedded_outlines(first)[1]


def test_visible_blocks_signed_in_threads(seal_signer: Any, tmp_path: Path) -> None:
    """The shared stamp font is only read: blocks made at once in threads come out whole."""
    from concurrent.futures import ThreadPoolExecutor

    names = [f"Người ký số {n} Ấ Ở Ữ" for n in range(8)]
    with ThreadPoolExecutor(4) as pool:
        signed = list(pool.map(lambda n: signed_with(seal_signer, Appearance(name=n)), names))
    for pdf, name in zip(signed, names, strict=True):
        assert name in pdftotext(pdf, tmp_path)
        assert glyph_ids(name) <= embedded_outlines(pdf)[1]
        assert validation.validate(pdf).ok


def test_invisible_signature_has_no_appearance_box(seal_signer: Any) -> None:
    signed = signed_with(seal_signer, Appearance(visible=False))
    reader = PdfFileReader(io.BytesIO(signed))
    [widget] = [a.get_object() for a in reader.root["/Pages"]["/Kids"][0]["/Annots"]]
    assert [float(v) for v in widget["/Rect"]] == [0, 0, 0, 0]


# --- which certificate, whose PIN ---------------------------------------------------------


def signing_events() -> int:
    return AuditEvent.objects.filter(action="signing.pdf.sign").count()


def test_a_revoked_certificate_cannot_sign(city: Any, seal_a: Certificate) -> None:
    services.certificate_revoke(actor=None, certificate=seal_a, reason="keyCompromise")
    with pytest.raises(CertificateNotUsable):
        services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=sample_pdf(), level="B-B")
    assert signing_events() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"not_after": timezone.now() - timedelta(seconds=1)},
        {"not_before": timezone.now() + timedelta(hours=1)},
    ],
    ids=["expired", "not-yet-valid"],
)
def test_an_expired_or_future_certificate_cannot_sign(
    city: Any, specialist: tuple[Any, Certificate], change: dict[str, datetime]
) -> None:
    user, certificate = specialist
    Certificate.objects.filter(pk=certificate.pk).update(**change)
    with pytest.raises(CertificateNotUsable):
        services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin=PIN)
    assert signing_events() == 0
    assert Certificate.objects.get(pk=certificate.pk).pin_failures == 0


def test_an_expired_certificate_made_by_the_pki_cannot_sign(city: Any, pki: None) -> None:
    """Validity from the certificate itself, not only the row: one issued in the past."""
    user = official(city.commune_a, full_name="Đỗ Văn Én")
    ca = runtime.authority("officials")
    key = pkix.new_key()
    past = datetime.now(UTC) - timedelta(days=40)
    certificate = pkix.end_entity_certificate(
        key.public_key(), profile="official", subject=pkix.name("Đỗ Văn Én", organization="X"),
        ca_code="officials", ca=ca.certificate, ca_key=ca.key, endpoints=runtime.endpoints(),
        days=30, now=past,
    )  # fmt: skip
    from thudo.signing import keystore
    from thudo.signing.models import Authority

    row = services._store_certificate(
        certificate, authority=Authority.objects.get(code="officials"), profile="official",
        sealed_key=keystore.seal(key, pin=PIN), holder_name="Đỗ Văn Én", holder=user,
        agency=city.commune_a,
    )  # fmt: skip
    assert row.not_after < timezone.now()
    with pytest.raises(CertificateNotUsable):
        services.pdf_sign(actor=user, certificate=row, pdf=sample_pdf(), pin=PIN)


def test_wrong_pin_is_refused_and_counted(city: Any, specialist: tuple[Any, Certificate]) -> None:
    user, certificate = specialist
    with pytest.raises(PinInvalid, match="Mã PIN không đúng"):
        services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin="135792")
    row = Certificate.objects.get(pk=certificate.pk)
    assert (row.pin_failures, row.locked_until) == (1, None)
    assert AuditEvent.objects.filter(action="signing.certificate.pin_failure").count() == 1
    assert signing_events() == 0
    # The right PIN works and clears the count.
    services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin=PIN, level="B-B")
    assert Certificate.objects.get(pk=certificate.pk).pin_failures == 0
    assert signing_events() == 1


def test_five_wrong_pins_lock_the_key_until_the_lock_passes(
    city: Any, specialist: tuple[Any, Certificate]
) -> None:
    user, certificate = specialist
    for attempt in range(1, 6):
        with pytest.raises(PinInvalid):
            services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin="135792")
        row = Certificate.objects.get(pk=certificate.pk)
        if attempt < 5:
            assert (row.pin_failures, row.locked_until) == (attempt, None)
    assert row.locked_until is not None
    assert timedelta(minutes=14) < row.locked_until - timezone.now() <= timedelta(minutes=15)
    # Locked: even the right PIN is refused, and the refusal is not counted again.
    for pin in (PIN, "135792"):
        with pytest.raises(PinLocked):
            services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin=pin)
    assert Certificate.objects.get(pk=certificate.pk).locked_until == row.locked_until
    assert signing_events() == 0

    Certificate.objects.filter(pk=certificate.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    signed = services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin=PIN,
                               level="B-B")  # fmt: skip
    assert validation.validate(signed).ok
    row = Certificate.objects.get(pk=certificate.pk)
    assert (row.pin_failures, row.locked_until) == (0, None)


def test_pin_change(city: Any, specialist: tuple[Any, Certificate]) -> None:
    user, certificate = specialist
    services.certificate_pin_change(actor=user, certificate=certificate, old_pin=PIN,
                                    new_pin="97531864")  # fmt: skip
    with pytest.raises(PinInvalid):
        services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(), pin=PIN)
    signed = services.pdf_sign(actor=user, certificate=certificate, pdf=sample_pdf(),
                               pin="97531864", level="B-B")  # fmt: skip
    assert validation.validate(signed).signatures[0].signer_serial == certificate.serial
    assert AuditEvent.objects.filter(action="signing.certificate.pin_change").count() == 1


def test_pin_change_needs_the_old_pin_a_good_new_one_and_the_holder(
    city: Any, specialist: tuple[Any, Certificate]
) -> None:
    user, certificate = specialist
    sealed = bytes(Certificate.objects.get(pk=certificate.pk).sealed_key)  # type: ignore[arg-type]
    with pytest.raises(PinInvalid):
        services.certificate_pin_change(actor=user, certificate=certificate, old_pin="135792",
                                        new_pin="97531864")  # fmt: skip
    for weak in ("111111", "123456", "12345", "abcdef12"):
        with pytest.raises(InvalidInput):
            services.certificate_pin_change(actor=user, certificate=certificate, old_pin=PIN,
                                            new_pin=weak)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.certificate_pin_change(actor=city.admin_a, certificate=certificate, old_pin=PIN,
                                        new_pin="97531864")  # fmt: skip
    row = Certificate.objects.get(pk=certificate.pk)
    assert bytes(row.sealed_key) == sealed  # type: ignore[arg-type]
    assert row.pin_failures == 1  # the wrong old PIN counts


def test_another_communes_admin_cannot_issue_or_revoke_commune_a_seals(
    city: Any, seal_a: Certificate
) -> None:
    certificates, events = Certificate.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.certificate_issue_seal(actor=city.admin_b, agency=city.commune_a)
    with pytest.raises(PermissionDenied):
        services.certificate_revoke(actor=city.admin_b, certificate=seal_a,
                                    reason="keyCompromise")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.certificate_issue_official(actor=city.admin_b, agency=city.commune_a,
                                            official=city.clerk_a, pin=PIN)  # fmt: skip
    assert (Certificate.objects.count(), AuditEvent.objects.count()) == (certificates, events)
    seal_a.refresh_from_db()
    assert (seal_a.status, seal_a.revoked_at) == ("valid", None)


def test_another_communes_staff_cannot_sign_with_commune_a_seal(
    city: Any, seal_a: Certificate
) -> None:
    for outsider in (city.admin_b, city.clerk_b, city.city_leader):
        with pytest.raises(PermissionDenied):
            services.pdf_sign(actor=outsider, certificate=seal_a, pdf=sample_pdf(), level="B-B")
    assert signing_events() == 0
    # The seal is commune A's clerks', leaders' and administrators'.
    for insider in (city.clerk_a, city.admin_a):
        services.pdf_sign(actor=insider, certificate=seal_a, pdf=sample_pdf(), level="B-B")
    assert signing_events() == 2


def test_nobody_signs_with_someone_elses_certificate(
    city: Any, specialist: tuple[Any, Certificate], leader: tuple[Any, Certificate]
) -> None:
    _user, certificate = specialist
    leader_user, _leader_cert = leader
    for actor in (leader_user, city.admin_a, city.platform_admin, None):
        with pytest.raises(PermissionDenied):
            services.pdf_sign(actor=actor, certificate=certificate, pdf=sample_pdf(), pin=PIN)
    row = Certificate.objects.get(pk=certificate.pk)
    assert (row.pin_failures, signing_events()) == (0, 0)


def test_the_operator_applies_seals_but_not_personal_signatures(
    city: Any, seal_a: Certificate, specialist: tuple[Any, Certificate]
) -> None:
    signed = services.pdf_sign(actor=None, certificate=seal_a, pdf=sample_pdf(), level="B-B")
    assert validation.validate(signed).ok
    with pytest.raises(PermissionDenied):
        services.pdf_sign(actor=None, certificate=specialist[1], pdf=sample_pdf(), pin=PIN)


def test_the_tsa_certificate_signs_no_documents(city: Any, pki: None) -> None:
    tsa = Certificate.objects.get(profile="tsa")
    with pytest.raises(PermissionDenied):
        services.pdf_sign(actor=None, certificate=tsa, pdf=sample_pdf(), level="B-B")


# Committed data: with a loop marked running, Django hands this thread another connection.
@pytest.mark.django_db(transaction=True)
def test_signs_and_validates_in_a_thread_where_an_event_loop_runs(
    city: Any, seal_a: Certificate
) -> None:
    """A thread where an event loop is marked running (as Playwright's sync API leaves the
    test thread, or async code calling in) can still sign and validate: pyHanko's own
    sync wrappers call asyncio.run(), which refuses to run there."""
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.events._set_running_loop(loop)
    try:
        assert asyncio.get_running_loop() is loop
        signed = services.pdf_sign(
            actor=city.clerk_a, certificate=seal_a, pdf=sample_pdf(), level="B-LT"
        )
        report = validation.validate(signed)
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()
    assert report.ok is True
    assert [s.level for s in report.signatures] == ["B-LT"]
