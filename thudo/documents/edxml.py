"""edXML packages (QCVN 102:2016 style): the envelope of a document sent between
agencies, and the status messages that travel back.

Built and read with lxml. What arrives is hostile until parsed: ``parse`` refuses any
DTD, entity or external reference (defusedxml checks first — no XXE, no billion laughs),
caps the size, and reads only what it expects. Packages are signed by the sending
agency's seal (XMLDSig, see ``thudo.signing``), which ``parse`` does not check — the
receiver does, through the signing facade.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from lxml import etree

from thudo.documents.contracts import STATUS_CODES

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
E = f"{{{NS}}}"
MAX_BYTES = 30 * 1024 * 1024
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class PackageInvalid(ValueError):
    """Not an edXML package we can accept (malformed, hostile, or missing fields)."""


@dataclass(frozen=True)
class Organ:
    code: str
    name: str = ""


@dataclass(frozen=True)
class AttachedFile:
    name: str
    content_type: str
    content: bytes
    description: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Package:
    """A document as it travels (edXMLEnvelope)."""

    document_id: str
    sender: Organ
    recipients: tuple[Organ, ...]
    code_number: str
    code_notation: str
    place: str
    promulgation_date: date
    type_code: str
    type_name: str
    subject: str
    signer_competence: str = ""
    signer_position: str = ""
    signer_name: str = ""
    priority: int = 0
    steering_type: int = 0
    page_amount: int = 1
    business: str = "0"  # 0 new, 2 update, 3 replace
    response_for: str = ""
    trace: tuple[tuple[str, datetime], ...] = ()
    attachments: tuple[AttachedFile, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StatusMessage:
    """A status travelling back to the sender (edXML Status)."""

    document_id: str
    sender: Organ  # who sends the status (the document's receiver)
    receiver: Organ  # the document's sender
    status_code: str
    description: str
    timestamp: datetime
    staff: str = ""


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, E + name)
    if text is not None:
        node.text = text
    return node


def _organ(parent: etree._Element, name: str, organ: Organ) -> None:
    node = _sub(parent, name)
    _sub(node, "OrganId", organ.code)
    _sub(node, "OrganName", organ.name)


def build(package: Package) -> bytes:
    envelope = etree.Element(E + "edXMLEnvelope", nsmap={"edXML": NS})
    header = _sub(envelope, "edXMLHeader")
    message = _sub(header, "MessageHeader")
    _organ(message, "From", package.sender)
    for recipient in package.recipients:
        _organ(message, "To", recipient)
    _sub(message, "DocumentId", package.document_id)
    code = _sub(message, "Code")
    _sub(code, "CodeNumber", package.code_number)
    _sub(code, "CodeNotation", package.code_notation)
    promulgation = _sub(message, "PromulgationInfo")
    _sub(promulgation, "Place", package.place)
    _sub(promulgation, "PromulgationDate", package.promulgation_date.isoformat())
    kind = _sub(message, "DocumentType")
    _sub(kind, "Type", package.type_code)
    _sub(kind, "TypeName", package.type_name)
    _sub(message, "Subject", package.subject)
    signer = _sub(message, "SignerInfo")
    _sub(signer, "Competence", package.signer_competence)
    _sub(signer, "Position", package.signer_position)
    _sub(signer, "FullName", package.signer_name)
    _sub(message, "SteeringType", str(package.steering_type))
    other = _sub(message, "OtherInfo")
    _sub(other, "Priority", str(package.priority))
    _sub(other, "PromulgationAmount", "1")
    _sub(other, "PageAmount", str(package.page_amount))
    if package.response_for:
        response = _sub(message, "ResponseFor")
        _sub(response, "DocumentId", package.response_for)
    traces = _sub(header, "TraceHeaderList")
    for organ_code, moment in package.trace:
        trace = _sub(traces, "TraceHeader")
        _sub(trace, "OrganId", organ_code)
        _sub(trace, "Timestamp", moment.isoformat())
    business = _sub(header, "Business")
    _sub(business, "BusinessDocType", package.business)
    body = _sub(envelope, "edXMLBody")
    files = _sub(body, "AttachmentEncoded")
    for index, attached in enumerate(package.attachments, start=1):
        item = _sub(files, "Attachment")
        _sub(item, "ContentId", f"att{index}")
        _sub(item, "ContentType", attached.content_type)
        _sub(item, "AttachmentName", attached.name)
        _sub(item, "Description", attached.description)
        _sub(item, "Digest", attached.sha256)
        _sub(item, "ContentTransferEncoded", base64.b64encode(attached.content).decode("ascii"))
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def build_status(status: StatusMessage) -> bytes:
    root = etree.Element(E + "Status", nsmap={"edXML": NS})
    header = _sub(root, "Header")
    _organ(header, "From", status.sender)
    _organ(header, "To", status.receiver)
    response = _sub(header, "ResponseFor")
    _sub(response, "DocumentId", status.document_id)
    _sub(root, "StatusCode", status.status_code)
    _sub(root, "Description", status.description)
    _sub(root, "Timestamp", status.timestamp.isoformat())
    _sub(root, "StaffInfo", status.staff)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def safe_root(data: bytes) -> etree._Element:
    """The parsed XML, or PackageInvalid for anything oversized, malformed or hostile."""
    if not data or len(data) > MAX_BYTES:
        raise PackageInvalid("empty or too large")
    try:
        SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise PackageInvalid(f"forbidden XML construct: {type(exc).__name__}") from exc
    except SafeET.ParseError as exc:
        raise PackageInvalid(f"malformed XML: {exc}") from exc
    except (LookupError, ValueError) as exc:
        # expat's refusals of a declared encoding: unknown (LookupError) or multi-byte.
        raise PackageInvalid(f"unsupported XML encoding: {exc}") from exc
    try:
        return etree.fromstring(data, parser=PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PackageInvalid(f"malformed XML: {exc}") from exc


def _text(node: etree._Element, path: str, *, required: bool = True, limit: int = 2000) -> str:
    found = node.find(_q(path))
    value = (found.text or "").strip() if found is not None else ""
    if required and not value:
        raise PackageInvalid(f"missing {path}")
    if len(value) > limit:
        raise PackageInvalid(f"{path} is too long")
    return value


def _q(path: str) -> str:
    return "/".join(E + part if part not in (".", "..") else part for part in path.split("/"))


def _int(node: etree._Element, path: str, default: int, low: int, high: int) -> int:
    raw = _text(node, path, required=False) or str(default)
    try:
        value = int(raw)
    except ValueError as exc:
        raise PackageInvalid(f"{path} is not a number") from exc
    if not low <= value <= high:
        raise PackageInvalid(f"{path} is out of range")
    return value


def _organs(message: etree._Element, name: str) -> list[Organ]:
    organs = []
    for node in message.findall(E + name):
        code = (node.findtext(E + "OrganId") or "").strip()
        if not code or len(code) > 35:
            raise PackageInvalid(f"{name}/OrganId missing or too long")
        organs.append(Organ(code, (node.findtext(E + "OrganName") or "").strip()[:255]))
    return organs


def parse(data: bytes) -> Package:
    root = safe_root(data)
    if root.tag != E + "edXMLEnvelope":
        raise PackageInvalid("not an edXMLEnvelope")
    message = root.find(_q("edXMLHeader/MessageHeader"))
    if message is None:
        raise PackageInvalid("missing MessageHeader")
    senders = _organs(message, "From")
    recipients = _organs(message, "To")
    if len(senders) != 1 or not recipients:
        raise PackageInvalid("a package has one sender and at least one recipient")
    promulgation = _text(message, "PromulgationInfo/PromulgationDate", limit=40)
    try:
        promulgated = date.fromisoformat(promulgation)
    except ValueError as exc:
        raise PackageInvalid("PromulgationDate is not a date") from exc
    business = _text(root, "edXMLHeader/Business/BusinessDocType", required=False) or "0"
    if business not in ("0", "1", "2", "3"):
        raise PackageInvalid("unknown BusinessDocType")
    attachments = []
    for item in root.findall(_q("edXMLBody/AttachmentEncoded/Attachment")):
        name = _text(item, "AttachmentName", limit=255)
        encoded = "".join(_text(item, "ContentTransferEncoded", limit=MAX_BYTES).split())
        try:
            content = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise PackageInvalid(f"attachment {name} is not base64") from exc
        attached = AttachedFile(
            name=name,
            content_type=_text(item, "ContentType", limit=100),
            content=content,
            description=_text(item, "Description", required=False, limit=500),
        )
        digest = _text(item, "Digest", required=False, limit=64)
        if digest and digest != attached.sha256:
            raise PackageInvalid(f"attachment {name} does not match its digest")
        attachments.append(attached)
    trace = []
    for node in root.findall(_q("edXMLHeader/TraceHeaderList/TraceHeader")):
        try:
            trace.append(
                (
                    (node.findtext(E + "OrganId") or "").strip()[:35],
                    datetime.fromisoformat((node.findtext(E + "Timestamp") or "").strip()),
                )
            )
        except ValueError as exc:
            raise PackageInvalid("TraceHeader/Timestamp is not a time") from exc
    return Package(
        document_id=_text(message, "DocumentId", limit=64),
        sender=senders[0],
        recipients=tuple(recipients),
        code_number=_text(message, "Code/CodeNumber", limit=20),
        code_notation=_text(message, "Code/CodeNotation", limit=60),
        place=_text(message, "PromulgationInfo/Place", required=False, limit=100),
        promulgation_date=promulgated,
        type_code=_text(message, "DocumentType/Type", limit=4),
        type_name=_text(message, "DocumentType/TypeName", required=False, limit=100),
        subject=_text(message, "Subject", limit=500),
        signer_competence=_text(message, "SignerInfo/Competence", required=False, limit=100),
        signer_position=_text(message, "SignerInfo/Position", required=False, limit=100),
        signer_name=_text(message, "SignerInfo/FullName", required=False, limit=150),
        priority=_int(message, "OtherInfo/Priority", 0, 0, 4),
        steering_type=_int(message, "SteeringType", 0, 0, 9),
        page_amount=_int(message, "OtherInfo/PageAmount", 1, 0, 100000),
        business=business,
        response_for=_text(message, "ResponseFor/DocumentId", required=False, limit=64),
        trace=tuple(trace),
        attachments=tuple(attachments),
    )


def parse_status(data: bytes) -> StatusMessage:
    root = safe_root(data)
    if root.tag != E + "Status":
        raise PackageInvalid("not an edXML Status")
    header = root.find(E + "Header")
    if header is None:
        raise PackageInvalid("missing Header")
    senders, receivers = _organs(header, "From"), _organs(header, "To")
    if len(senders) != 1 or len(receivers) != 1:
        raise PackageInvalid("a status has one sender and one receiver")
    code = _text(root, "StatusCode", limit=2)
    if code not in STATUS_CODES:
        raise PackageInvalid(f"unknown status code {code}")
    timestamp = _text(root, "Timestamp", limit=40)
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError as exc:
        raise PackageInvalid("Timestamp is not a time") from exc
    return StatusMessage(
        document_id=_text(header, "ResponseFor/DocumentId", limit=64),
        sender=senders[0],
        receiver=receivers[0],
        status_code=code,
        description=_text(root, "Description", required=False, limit=1000),
        timestamp=moment,
        staff=_text(root, "StaffInfo", required=False, limit=200),
    )
