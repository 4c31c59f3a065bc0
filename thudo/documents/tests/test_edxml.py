"""edXML packages and statuses: what is built is read back field for field, and whatever
hostile or broken arrives is refused with PackageInvalid — never another exception, never
an entity expanded or a file read."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from lxml import etree

from thudo.documents import edxml
from thudo.documents.edxml import PackageInvalid

NS = edxml.NS
HANOI = timezone(timedelta(hours=7))


def full_package() -> edxml.Package:
    return edxml.Package(
        document_id="7f3c2a9e0b1d4c6f8a5e3d2c1b0a9f8e",
        sender=edxml.Organ("000.01.50.H26", "Ủy ban nhân dân Phường Ba Đình"),
        recipients=(
            edxml.Organ("000.02.50.H26", "Ủy ban nhân dân Phường Ngọc Hà"),
            edxml.Organ("000.00.16.H26", "Sở Tư pháp"),
            edxml.Organ("000.00.00.H26", ""),
        ),
        code_number="12",
        code_notation="QĐ-UBND",
        place="Hà Nội",
        promulgation_date=date(2026, 3, 2),
        type_code="QD",
        type_name="Quyết định",
        subject="Về việc kiện toàn Tổ công tác chuyển đổi số cộng đồng phường Ba Đình",
        signer_competence="TM. Ủy ban nhân dân",
        signer_position="Chủ tịch",
        signer_name="Đặng Thị Hương",
        priority=3,
        steering_type=1,
        page_amount=4,
        business="2",
        response_for="0a1b2c3d4e5f",
        trace=(
            ("000.01.50.H26", datetime(2026, 3, 2, 9, 15, 30, tzinfo=HANOI)),
            ("000.00.00.H26", datetime(2026, 3, 2, 2, 16, 1, 123456, tzinfo=UTC)),
        ),
        attachments=(
            edxml.AttachedFile("12_QĐ-UBND.pdf", "application/pdf", b"%PDF-1.7\n\x00\xff binary"),
            edxml.AttachedFile(
                "Phụ lục danh sách.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                b"PK\x03\x04" + bytes(range(256)) * 40,
                description="Danh sách thành viên Tổ công tác",
            ),
        ),
    )


def status_message(**changes: object) -> edxml.StatusMessage:
    values: dict[str, object] = {
        "document_id": "7f3c2a9e0b1d4c6f8a5e3d2c1b0a9f8e",
        "sender": edxml.Organ("000.02.50.H26", "Ủy ban nhân dân Phường Ngọc Hà"),
        "receiver": edxml.Organ("000.01.50.H26", "Ủy ban nhân dân Phường Ba Đình"),
        "status_code": "04",
        "description": "Phân công: Nguyễn Văn Bình, hạn 09/03/2026",
        "timestamp": datetime(2026, 3, 3, 8, 30, tzinfo=HANOI),
        "staff": "Lê Thị Cúc",
    }
    values.update(changes)
    return edxml.StatusMessage(**values)  # type: ignore[arg-type]


def edited(xml: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(xml)
    change(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def at(root: etree._Element, path: str) -> etree._Element:
    found = root.find("/".join(f"{{{NS}}}{p}" for p in path.split("/")))
    assert found is not None, path
    return found


def set_text(path: str, value: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        at(root, path).text = value

    return change


def remove(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        node = at(root, path)
        parent = node.getparent()
        assert parent is not None
        parent.remove(node)

    return change


def refused(data: bytes, parse: Callable[[bytes], object] = edxml.parse) -> str:
    with pytest.raises(PackageInvalid) as caught:
        parse(data)
    return str(caught.value)


# --- round trips ----------------------------------------------------------------------------


def test_every_field_of_a_package_comes_back() -> None:
    package = full_package()
    xml = edxml.build(package)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Về việc kiện toàn".encode() in xml  # UTF-8 text, not character references
    back = edxml.parse(xml)
    assert back == package
    assert back.trace[0][1].utcoffset() == timedelta(hours=7)
    assert [a.sha256 for a in back.attachments] == [
        hashlib.sha256(a.content).hexdigest() for a in package.attachments
    ]


def test_the_digest_and_the_content_are_in_the_package() -> None:
    package = full_package()
    root = etree.fromstring(edxml.build(package))
    items = root.findall(f"{{{NS}}}edXMLBody/{{{NS}}}AttachmentEncoded/{{{NS}}}Attachment")
    assert [
        (
            item.findtext(f"{{{NS}}}ContentId"),
            item.findtext(f"{{{NS}}}Digest"),
            base64.b64decode(item.findtext(f"{{{NS}}}ContentTransferEncoded") or ""),
        )
        for item in items
    ] == [(f"att{n}", a.sha256, a.content) for n, a in enumerate(package.attachments, start=1)]
    assert root.findtext(f"{{{NS}}}edXMLHeader/{{{NS}}}Business/{{{NS}}}BusinessDocType") == "2"


def test_a_minimal_package_takes_the_defaults() -> None:
    package = edxml.Package(
        document_id="d1",
        sender=edxml.Organ("000.01.50.H26"),
        recipients=(edxml.Organ("000.02.50.H26"),),
        code_number="01",
        code_notation="UBND",
        place="",
        promulgation_date=date(2026, 1, 1),
        type_code="CV",
        type_name="",
        subject="V/v báo cáo",
    )
    back = edxml.parse(edxml.build(package))
    assert back == package
    assert (back.priority, back.steering_type, back.page_amount, back.business) == (0, 0, 1, "0")
    assert (back.response_for, back.trace, back.attachments) == ("", (), ())


def test_base64_split_over_lines_is_read() -> None:
    content = bytes(range(256)) * 3
    encoded = base64.encodebytes(content).decode()  # 76-character lines
    xml = edited(
        edxml.build(full_package()),
        set_text("edXMLBody/AttachmentEncoded/Attachment/ContentTransferEncoded", encoded),
    )
    xml = edited(
        xml,
        set_text(
            "edXMLBody/AttachmentEncoded/Attachment/Digest", hashlib.sha256(content).hexdigest()
        ),
    )
    assert edxml.parse(xml).attachments[0].content == content


def test_a_package_without_digests_is_read() -> None:
    xml = edited(
        edxml.build(full_package()), remove("edXMLBody/AttachmentEncoded/Attachment/Digest")
    )
    assert edxml.parse(xml).attachments == full_package().attachments


def test_a_status_comes_back() -> None:
    for code in ("01", "02", "03", "04", "05", "06", "13", "14"):
        message = status_message(status_code=code)
        assert edxml.parse_status(edxml.build_status(message)) == message


# --- hostile input --------------------------------------------------------------------------

ENVELOPE = f'<edXML:edXMLEnvelope xmlns:edXML="{NS}">'.encode()


def test_xxe_is_refused(tmp_path: object) -> None:
    for doc in (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + ENVELOPE
        + b"&e;</edXML:edXMLEnvelope>",
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]><x>&e;</x>',
    ):
        assert refused(doc).startswith("forbidden XML construct")
        assert refused(doc, edxml.parse_status).startswith("forbidden XML construct")


def test_xxe_inside_a_real_package_does_not_reach_the_fields() -> None:
    xml = edxml.build(full_package())
    hostile = xml.replace(
        b"<?xml version='1.0' encoding='UTF-8'?>",
        b'<?xml version="1.0"?><!DOCTYPE edXML:edXMLEnvelope ['
        b'<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    ).replace("Về việc kiện toàn".encode(), b"&e;")
    assert b"&e;" in hostile
    assert refused(hostile) == "forbidden XML construct: DTDForbidden"


def test_billion_laughs_is_refused() -> None:
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'.encode()
            for n in range(1, 10)
        )
        + b"]><lolz>&lol9;</lolz>"
    )
    assert refused(lol) == "forbidden XML construct: DTDForbidden"
    quadratic = b'<!DOCTYPE x [<!ENTITY a "' + b"a" * 50_000 + b'">]><x>' + b"&a;" * 1000 + b"</x>"
    assert refused(quadratic) == "forbidden XML construct: DTDForbidden"


def test_an_external_dtd_is_refused() -> None:
    for doc in (
        b'<?xml version="1.0"?><!DOCTYPE edXMLEnvelope SYSTEM "http://127.0.0.1:9/e.dtd">'
        + ENVELOPE
        + b"</edXML:edXMLEnvelope>",
        b'<!DOCTYPE x PUBLIC "-//X//DTD X//EN" "file:///etc/passwd"><x/>',
    ):
        assert refused(doc) == "forbidden XML construct: DTDForbidden"


def test_parameter_entities_are_refused() -> None:
    for doc in (
        b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><x/>',
        b"<!DOCTYPE x [<!ENTITY % p \"<!ENTITY e 'x'>\"> %p;]><x>&e;</x>",
    ):
        assert refused(doc) == "forbidden XML construct: DTDForbidden"


def test_an_undeclared_entity_is_malformed() -> None:
    assert refused(ENVELOPE + b"&e;</edXML:edXMLEnvelope>").startswith("malformed XML")


def test_oversized_and_empty_input_is_refused() -> None:
    assert refused(b"") == "empty or too large"
    big = ENVELOPE + b" " * edxml.MAX_BYTES + b"</edXML:edXMLEnvelope>"
    assert len(big) > edxml.MAX_BYTES
    assert refused(big) == "empty or too large"
    assert refused(big, edxml.parse_status) == "empty or too large"


@pytest.mark.parametrize(
    "data",
    [
        b"not xml at all",
        b"\x00\x01\x02\xff",
        b"<edXML:edXMLEnvelope",
        b"<a><b></a></b>",
        "<a>é</a>".encode("latin-1"),  # not UTF-8
        b'<?xml version="1.0" encoding="x-unknown"?><a/>',
        b'<?xml version="1.0" encoding="UTF-32"?><a/>',
        b'<a x="1" x="2"/>',
        b"<a>&#0;</a>",
    ],
)
def test_what_is_not_xml_is_refused(data: bytes) -> None:
    message = refused(data)
    assert message.startswith(("malformed XML", "unsupported XML encoding")), message
    refused(data, edxml.parse_status)


def test_the_wrong_root_is_refused() -> None:
    status = edxml.build_status(status_message())
    package = edxml.build(full_package())
    assert refused(status) == "not an edXMLEnvelope"
    assert refused(package, edxml.parse_status) == "not an edXML Status"
    assert refused(b"<edXMLEnvelope/>") == "not an edXMLEnvelope"  # no namespace
    assert refused(ENVELOPE + b"</edXML:edXMLEnvelope>") == "missing MessageHeader"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("edXMLHeader/MessageHeader/DocumentId", "missing DocumentId"),
        ("edXMLHeader/MessageHeader/Code/CodeNumber", "missing Code/CodeNumber"),
        ("edXMLHeader/MessageHeader/Code/CodeNotation", "missing Code/CodeNotation"),
        (
            "edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate",
            "missing PromulgationInfo/PromulgationDate",
        ),
        ("edXMLHeader/MessageHeader/DocumentType/Type", "missing DocumentType/Type"),
        ("edXMLHeader/MessageHeader/Subject", "missing Subject"),
        ("edXMLHeader/MessageHeader/From", "a package has one sender and at least one recipient"),
        ("edXMLHeader/MessageHeader/From/OrganId", "From/OrganId missing or too long"),
        ("edXMLHeader/MessageHeader", "missing MessageHeader"),
        ("edXMLBody/AttachmentEncoded/Attachment/AttachmentName", "missing AttachmentName"),
        ("edXMLBody/AttachmentEncoded/Attachment/ContentType", "missing ContentType"),
        (
            "edXMLBody/AttachmentEncoded/Attachment/ContentTransferEncoded",
            "missing ContentTransferEncoded",
        ),
    ],
)
def test_a_package_missing_a_required_field_is_refused(path: str, message: str) -> None:
    assert refused(edited(edxml.build(full_package()), remove(path))) == message


def test_a_package_without_recipients_or_with_two_senders_is_refused() -> None:
    def no_recipients(root: etree._Element) -> None:
        header = at(root, "edXMLHeader/MessageHeader")
        for node in header.findall(f"{{{NS}}}To"):
            header.remove(node)

    def two_senders(root: etree._Element) -> None:
        sender = at(root, "edXMLHeader/MessageHeader/From")
        sender.addnext(etree.fromstring(etree.tostring(sender)))

    xml = edxml.build(full_package())
    for change in (no_recipients, two_senders):
        assert refused(edited(xml, change)) == "a package has one sender and at least one recipient"


def test_an_empty_required_field_counts_as_missing() -> None:
    xml = edited(edxml.build(full_package()), set_text("edXMLHeader/MessageHeader/Subject", "  "))
    assert refused(xml) == "missing Subject"


def test_an_attachment_that_does_not_match_its_digest_is_refused() -> None:
    xml = edxml.build(full_package())
    swapped = edited(
        xml,
        set_text(
            "edXMLBody/AttachmentEncoded/Attachment/ContentTransferEncoded",
            base64.b64encode(b"%PDF-1.7 another document").decode(),
        ),
    )
    assert refused(swapped) == "attachment 12_QĐ-UBND.pdf does not match its digest"
    wrong_digest = edited(xml, set_text("edXMLBody/AttachmentEncoded/Attachment/Digest", "0" * 64))
    assert refused(wrong_digest) == "attachment 12_QĐ-UBND.pdf does not match its digest"


@pytest.mark.parametrize(
    "encoded", ["!!!not base64!!!", "QUJ", "QUJDRA=", "Q", "QUJD\x7f", "====", "QU=JD"]
)
def test_bad_base64_is_refused(encoded: str) -> None:
    xml = edited(
        edxml.build(full_package()),
        set_text("edXMLBody/AttachmentEncoded/Attachment/ContentTransferEncoded", encoded),
    )
    assert refused(xml) == "attachment 12_QĐ-UBND.pdf is not base64"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate",
            "2026-02-30",
            "PromulgationDate is not a date",
        ),
        (
            "edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate",
            "02/03/2026",
            "PromulgationDate is not a date",
        ),
        (
            "edXMLHeader/TraceHeaderList/TraceHeader/Timestamp",
            "hôm qua",
            "TraceHeader/Timestamp is not a time",
        ),
        (
            "edXMLHeader/TraceHeaderList/TraceHeader/Timestamp",
            "2026-03-02T25:00:00",
            "TraceHeader/Timestamp is not a time",
        ),
    ],
)
def test_bad_dates_are_refused(path: str, value: str, message: str) -> None:
    assert refused(edited(edxml.build(full_package()), set_text(path, value))) == message


@pytest.mark.parametrize(
    ("path", "length", "message"),
    [
        ("edXMLHeader/MessageHeader/Subject", 501, "Subject is too long"),
        ("edXMLHeader/MessageHeader/DocumentId", 65, "DocumentId is too long"),
        ("edXMLHeader/MessageHeader/Code/CodeNumber", 21, "Code/CodeNumber is too long"),
        ("edXMLHeader/MessageHeader/Code/CodeNotation", 61, "Code/CodeNotation is too long"),
        ("edXMLHeader/MessageHeader/DocumentType/Type", 5, "DocumentType/Type is too long"),
        ("edXMLHeader/MessageHeader/SignerInfo/FullName", 151, "SignerInfo/FullName is too long"),
        ("edXMLHeader/MessageHeader/From/OrganId", 36, "From/OrganId missing or too long"),
        ("edXMLHeader/MessageHeader/To/OrganId", 36, "To/OrganId missing or too long"),
        (
            "edXMLBody/AttachmentEncoded/Attachment/AttachmentName",
            256,
            "AttachmentName is too long",
        ),
        ("edXMLBody/AttachmentEncoded/Attachment/Description", 501, "Description is too long"),
    ],
)
def test_too_long_fields_are_refused(path: str, length: int, message: str) -> None:
    xml = edxml.build(full_package())
    assert refused(edited(xml, set_text(path, "Đ" * length))) == message
    edxml.parse(edited(xml, set_text(path, "D" * (length - 1))))  # the limit itself is fine


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("edXMLHeader/MessageHeader/OtherInfo/Priority", "5", "OtherInfo/Priority is out of range"),
        (
            "edXMLHeader/MessageHeader/OtherInfo/Priority",
            "-1",
            "OtherInfo/Priority is out of range",
        ),
        (
            "edXMLHeader/MessageHeader/OtherInfo/Priority",
            "cao",
            "OtherInfo/Priority is not a number",
        ),
        ("edXMLHeader/MessageHeader/SteeringType", "10", "SteeringType is out of range"),
        (
            "edXMLHeader/MessageHeader/OtherInfo/PageAmount",
            "100001",
            "OtherInfo/PageAmount is out of range",
        ),
        ("edXMLHeader/Business/BusinessDocType", "9", "unknown BusinessDocType"),
    ],
)
def test_numbers_out_of_range_are_refused(path: str, value: str, message: str) -> None:
    assert refused(edited(edxml.build(full_package()), set_text(path, value))) == message


def test_priority_four_is_the_highest_accepted() -> None:
    xml = edited(
        edxml.build(full_package()), set_text("edXMLHeader/MessageHeader/OtherInfo/Priority", "4")
    )
    assert edxml.parse(xml).priority == 4


@pytest.mark.parametrize("code", ["00", "07", "99", "1", "AB"])
def test_a_status_with_an_unknown_code_is_refused(code: str) -> None:
    xml = edxml.build_status(status_message(status_code=code))
    assert refused(xml, edxml.parse_status) == f"unknown status code {code}"


def test_a_status_with_a_bad_shape_is_refused() -> None:
    xml = edxml.build_status(status_message())
    assert refused(edited(xml, set_text("StatusCode", "003")), edxml.parse_status) == (
        "StatusCode is too long"
    )
    assert refused(edited(xml, set_text("Timestamp", "sáng nay")), edxml.parse_status) == (
        "Timestamp is not a time"
    )
    assert refused(edited(xml, remove("Timestamp")), edxml.parse_status) == "missing Timestamp"
    assert refused(edited(xml, remove("Header/ResponseFor/DocumentId")), edxml.parse_status) == (
        "missing ResponseFor/DocumentId"
    )
    assert refused(edited(xml, remove("Header/To")), edxml.parse_status) == (
        "a status has one sender and one receiver"
    )
    assert refused(edited(xml, remove("Header")), edxml.parse_status) == "missing Header"


def test_random_damage_gives_package_invalid_or_a_package() -> None:
    """Bytes flipped, dropped and inserted anywhere in a package and a status: the parser
    answers with a value or PackageInvalid, nothing else."""
    rnd = random.Random(20260302)  # reproducible test data
    for original, parse in (
        (edxml.build(full_package()), edxml.parse),
        (edxml.build_status(status_message()), edxml.parse_status),
    ):
        for _ in range(3000):
            damaged = bytearray(original)
            for _ in range(rnd.randint(1, 4)):
                where = rnd.randrange(len(damaged))
                roll = rnd.random()
                if roll < 0.5:
                    damaged[where] = rnd.randrange(256)
                elif roll < 0.75:
                    del damaged[where]
                else:
                    damaged.insert(where, rnd.choice(b"<>&;\"'/=:#x0 "))
            with contextlib.suppress(PackageInvalid):
                parse(bytes(damaged))
