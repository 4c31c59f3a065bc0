"""What other modules (and the demo builder) may call in the documents module."""

from __future__ import annotations

from django.conf import settings

from thudo.documents import inbox

__all__ = ["draft_for_signing", "exchange_provision"]


def exchange_provision(*, base_url: str, agency_code: str) -> str:
    """Make sure the document exchange is on the hub: its provider system (owned by
    ``agency_code``), its catalogue service, and the platform's grant to use it. Returns
    ``<provider>/<service>``."""
    from thudo.exchange import facade as exchange

    _vn, member_class, _agency, system_code = settings.DOCUMENTS_EXCHANGE_SYSTEM.split("/")
    exchange.system_provision(
        agency_code=agency_code,
        code=system_code,
        name="Trục liên thông văn bản",
        member_class=member_class,
        need_secret=False,
    )
    service = exchange.service_provision(
        provider=settings.DOCUMENTS_EXCHANGE_SYSTEM,
        code=settings.DOCUMENTS_EXCHANGE_SERVICE,
        name="Liên thông văn bản điện tử (edXML)",
        description="Gửi văn bản và trạng thái xử lý giữa các cơ quan (QCVN 102:2016).",
        upstream_url=f"{base_url.rstrip('/')}{inbox.PATH}",
        openapi_document=inbox.openapi_document(),
        classification="internal",
        legal_basis="Nghị định 30/2020/NĐ-CP; QCVN 102:2016/BTTTT",
        owner="Văn phòng Ủy ban nhân dân Thành phố",
    )
    exchange.grant_provision(
        consumer=settings.EXCHANGE_PLATFORM_SYSTEM,
        provider=settings.DOCUMENTS_EXCHANGE_SYSTEM,
        service_code=settings.DOCUMENTS_EXCHANGE_SERVICE,
        purpose="Gửi, nhận văn bản điện tử giữa các cơ quan",
        legal_basis="Nghị định 30/2020/NĐ-CP",
    )
    return service


def draft_for_signing(
    *,
    agency_code: str,
    drafter: str,
    reviewer: str,
    signer: str,
    type_code: str,
    summary: str,
    body: str,
    recipients: list[str],
    authority: str,
    position: str,
) -> int:
    """A draft written, submitted and approved, waiting for ``signer``'s signature (the
    demo's starting point); kept if a document of that agency has the same summary.
    Returns its id."""
    from thudo.core.models import Agency, User
    from thudo.documents import services
    from thudo.documents.models import Document

    agency = Agency.objects.get(code=agency_code)
    existing = Document.objects.filter(agency=agency, summary=summary).first()
    if existing is not None:
        return int(existing.pk)
    users = {u.username: u for u in User.objects.filter(username__in=[drafter, reviewer, signer])}
    document = services.document_draft(
        actor=users[drafter],
        agency=agency,
        data=services.DraftInput(
            type_code=type_code,
            summary=summary,
            body=body,
            recipients=recipients,
            signer_authority=authority,
            signer_position=position,
            signer_id=users[signer].pk,
        ),
    )
    services.document_submit(actor=users[drafter], document=document)
    services.document_review(actor=users[reviewer], document=document, approve=True)
    return int(document.pk)
