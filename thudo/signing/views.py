"""Pages and public endpoints of the signing module (chữ ký số).

Public, for machines (CSRF-exempt, small bodies, never a 500 on garbage): the CA
certificates, CRLs, the OCSP responder (POST and RFC 6960 A.1 GET) and the RFC 3161 TSA.
Public, for people: signature validation of any PDF. Signed in: signing a PDF; for
officials, their certificates (revoke, change PIN), issuance by agency administrators,
and the one-stop counter where clerks issue citizens' certificates.

htmx requests get only the fragment they replace, answered with 200 (htmx 2 does not
swap 4xx responses); full pages carry the error status.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, NotFound, PermissionDenied
from thudo.core.models import Role
from thudo.core.pages import htmx_status, is_htmx, official_or_404
from thudo.core.problems import problem_response
from thudo.core.rules import is_official
from thudo.signing import runtime, selectors, services, validation
from thudo.signing.contracts import (
    Appearance,
    CertificateNotUsable,
    PdfInvalid,
    SignatureReport,
    ValidationReport,
)
from thudo.signing.forms import (
    REASON_LABELS,
    CounterForm,
    OfficialIssueForm,
    PinChangeForm,
    RevokeForm,
    SealIssueForm,
    SignForm,
    VerifyForm,
    apply_error,
    needs_pin,
    read_pdf,
    signed_file_name,
)
from thudo.signing.models import Certificate

PAGE_SIZE = 50
# OCSP requests and timestamp queries are a few hundred bytes; anything near this is abuse.
MAX_PROTOCOL_BYTES = 64 * 1024

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
TIMESTAMP_QUERY = "application/timestamp-query"
TIMESTAMP_REPLY = "application/timestamp-reply"


def _posted(request: HttpRequest) -> Any:
    """The submitted data, or None for a GET: an empty POST is still a submission (and
    gets "required" errors), which ``request.POST or None`` would miss."""
    return request.POST if request.method == "POST" else None


# --- public PKI endpoints ------------------------------------------------------------------


def _not_ready(request: HttpRequest) -> HttpResponse:
    return problem_response(
        request,
        status=503,
        code="pki_not_ready",
        title=_("Hệ thống chứng thực chưa được khởi tạo"),
        headers={"Retry-After": "300"},
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return problem_response(request, status=404, code="not_found", title=_("Không tìm thấy"))


def _der(body: bytes, content_type: str, *, cache: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = cache
    return response


def _protocol_body(request: HttpRequest, content_type: str) -> bytes | HttpResponse:
    """The raw request body of a protocol endpoint, or the problem that refuses it."""
    if request.content_type != content_type:
        return problem_response(
            request,
            status=415,
            code="unsupported_media_type",
            title=_("Kiểu nội dung không được hỗ trợ"),
            detail=_("Gửi nội dung kiểu %(type)s.") % {"type": content_type},
        )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > MAX_PROTOCOL_BYTES else request.read(MAX_PROTOCOL_BYTES + 1)
    if declared > MAX_PROTOCOL_BYTES or len(body) > MAX_PROTOCOL_BYTES:
        return problem_response(
            request,
            status=413,
            code="payload_too_large",
            title=_("Nội dung gửi lên quá lớn"),
            detail=_("Tối đa %(n)s byte.") % {"n": MAX_PROTOCOL_BYTES},
        )
    return body


@csrf_exempt
@login_not_required
@require_GET
def ca_certificate(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate of one of the platform's CAs (DER), as the AIA extension names it."""
    try:
        der = selectors.authority_certificate(code=code)
    except NotFound:
        return _not_found(request) if selectors.authority_list().exists() else _not_ready(request)
    response = _der(der, "application/pkix-cert", cache="public, max-age=86400")
    response["Content-Disposition"] = f'inline; filename="{code}.crt"'
    return response


@csrf_exempt
@login_not_required
@require_GET
def crl(request: HttpRequest, code: str) -> HttpResponse:
    """The CA's current certificate revocation list (DER), rebuilt after each revocation."""
    try:
        if code not in runtime.authorities():
            return _not_found(request)
        der = runtime.crl_der(code)
    except runtime.PkiNotReady:
        return _not_ready(request)
    return _der(der, "application/pkix-crl", cache="public, max-age=300")


def _ocsp_answer(request: HttpRequest, der: bytes) -> HttpResponse:
    try:
        answer = runtime.ocsp_der(der)
    except runtime.PkiNotReady:
        return _not_ready(request)
    return _der(answer, OCSP_RESPONSE, cache="no-cache")


@csrf_exempt
@login_not_required
@require_POST
def ocsp_post(request: HttpRequest) -> HttpResponse:
    body = _protocol_body(request, OCSP_REQUEST)
    if isinstance(body, HttpResponse):
        return body
    return _ocsp_answer(request, body)


@csrf_exempt
@login_not_required
@require_GET
def ocsp_get(request: HttpRequest, encoded: str) -> HttpResponse:
    """RFC 6960 A.1: the DER request, base64-encoded then URL-encoded, as the last path
    segment (Django has already undone the URL encoding)."""
    if len(encoded) > MAX_PROTOCOL_BYTES:
        return problem_response(
            request, status=414, code="uri_too_long", title=_("Địa chỉ yêu cầu quá dài")
        )
    text = encoded.replace("-", "+").replace("_", "/")
    try:
        der = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        # Not base64: the responder answers malformedRequest, as for any garbage.
        der = b""
    return _ocsp_answer(request, der)


@csrf_exempt
@login_not_required
@require_POST
def tsa(request: HttpRequest) -> HttpResponse:
    """RFC 3161 over HTTP: a TimeStampReq in, a TimeStampResp out (a refusal for garbage)."""
    body = _protocol_body(request, TIMESTAMP_QUERY)
    if isinstance(body, HttpResponse):
        return body
    try:
        answer = runtime.timestamper().authority.answer(body)
    except runtime.PkiNotReady:
        return _not_ready(request)
    return _der(answer, TIMESTAMP_REPLY, cache="no-store")


# --- navigation ------------------------------------------------------------------------------


def _nav(request: HttpRequest, current: str) -> dict[str, Any]:
    user = request.user
    official = bool(is_official(user))
    return {
        "current": current,
        "is_official": official,
        "is_agency_admin": official
        and bool(selectors.agencies_where(user=user, roles=(Role.AGENCY_ADMIN,))),
        "is_clerk": official and bool(selectors.agencies_where(user=user, roles=(Role.CLERK,))),
    }


# --- validation, for anyone ----------------------------------------------------------------

OK, BAD, WARN = "ok", "bad", "warn"


def _verdicts(s: SignatureReport) -> list[dict[str, str]]:
    """Each check of one signature as a state and a sentence (never colour alone)."""
    revocation = {
        "good": (OK, _("Chứng thư số chưa bị thu hồi.")),
        "revoked": (BAD, _("Chứng thư số đã bị thu hồi.")),
        "revoked_later": (
            OK,
            _(
                "Chứng thư số bị thu hồi sau thời điểm ký (theo dấu thời gian): "
                "chữ ký vẫn có giá trị."
            ),
        ),
    }.get(s.revocation, (WARN, _("Không kiểm tra được tình trạng thu hồi của chứng thư số.")))
    modified = {
        "none": (OK, _("Không có thay đổi nào sau khi ký; chữ ký bao trùm toàn bộ tệp.")),
        "allowed": (
            OK,
            _("Sau khi ký chỉ có thay đổi được phép (thêm chữ ký, dấu thời gian, điền biểu mẫu)."),
        ),
    }.get(s.modified_after, (BAD, _("Tài liệu đã bị sửa đổi sau khi ký.")))
    rows = [
        (
            _("Toàn vẹn"),
            (OK, _("Nội dung đã ký không bị thay đổi."))
            if s.intact
            else (BAD, _("Nội dung đã bị thay đổi sau khi ký.")),
        ),
        (
            _("Chữ ký"),
            (OK, _("Chữ ký khớp với chứng thư số của người ký."))
            if s.valid
            else (BAD, _("Chữ ký không khớp với chứng thư số.")),
        ),
        (
            _("Tin cậy"),
            (OK, _("Chứng thư số do tổ chức chứng thực tin cậy cấp và còn hiệu lực khi ký."))
            if s.trusted
            else (BAD, _("Chứng thư số không do tổ chức chứng thực tin cậy cấp hoặc đã hết hạn.")),
        ),
        (_("Thu hồi"), revocation),
        (_("Sửa đổi sau khi ký"), modified),
    ]
    return [{"label": label, "state": state, "text": text} for label, (state, text) in rows]


def _verdict_of(report: ValidationReport) -> dict[str, str]:
    count = len(report.signatures)
    if report.ok:
        return {
            "state": OK,
            "text": _("Tài liệu có %(n)s chữ ký số, tất cả đều hợp lệ.") % {"n": count},
        }
    if not count:
        return {"state": WARN, "text": _("Tài liệu không có chữ ký số nào.")}
    bad = sum(1 for s in report.signatures if not s.ok)
    return {
        "state": BAD,
        "text": _("Tài liệu có %(n)s chữ ký số, trong đó %(bad)s chữ ký không hợp lệ.")
        % {"n": count, "bad": bad},
    }


def _render_verify(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    template = "signing/verify.html"
    if is_htmx(request):
        template += "#verify"
    return render(
        request,
        template,
        {**_nav(request, "verify"), **context},
        status=htmx_status(request, status),
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method != "POST":
        return _render_verify(request, form=form)
    if not form.is_valid():
        return _render_verify(request, 400, form=form)
    uploaded = form.cleaned_data["file"]
    report = validation.validate(read_pdf(uploaded))
    if not report.signatures and validation.NOT_PDF in report.problems:
        form.add_error("file", validation.NOT_PDF)
        return _render_verify(request, 400, form=form)
    signatures = [{"s": s, "verdicts": _verdicts(s)} for s in report.signatures]
    return _render_verify(
        request,
        form=VerifyForm(),
        report=report,
        verdict=_verdict_of(report),
        signatures=signatures,
        file_name=Path(uploaded.name or "").name,
    )


# --- signing, for anyone signed in ---------------------------------------------------------


def _sign_form(
    request: HttpRequest, data: Any = None, files: Any = None, initial: Any = None
) -> SignForm:
    return SignForm(
        data,
        files,
        initial=initial,
        certificates=selectors.certificates_usable_by(user=request.user),
    )


@require_http_methods(["GET", "POST"])
def sign(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        form = _sign_form(request)
        return render(request, "signing/sign.html", {**_nav(request, "sign"), "form": form})
    form = _sign_form(request, request.POST, request.FILES)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        appearance = (
            Appearance(authority=data["authority"].upper(), position=data["position"].upper())
            if data["visible"]
            else None
        )
        uploaded = data["file"]
        try:
            # Not inside a transaction of ours: a wrong PIN must stay counted.
            signed = services.pdf_sign(
                actor=request.user,
                certificate=data["certificate"],
                pdf=read_pdf(uploaded),
                pin=data["pin"],
                level=data["level"],
                appearance=appearance,
                purpose=_("Ký số tài liệu trên trang Ký số"),
            )
        except (PdfInvalid, CertificateNotUsable) as exc:
            form.add_error("file" if isinstance(exc, PdfInvalid) else "certificate", exc.message)
            status = exc.status
        except ApplicationError as exc:
            apply_error(form, exc)
            status = exc.status
        else:
            response = HttpResponse(signed, content_type="application/pdf")
            response["Content-Disposition"] = content_disposition_header(
                True, signed_file_name(uploaded.name)
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request, "signing/sign.html", {**_nav(request, "sign"), "form": form}, status=status
    )


@require_GET
def sign_pin_field(request: AuthedRequest) -> HttpResponse:
    """The PIN field for the certificate chosen (htmx): none for an agency's seal."""
    form = _sign_form(request, initial={"certificate": request.GET.get("certificate", "")})
    return render(request, "signing/sign.html#pin_field", {"form": form})


# --- my certificates (officials) -----------------------------------------------------------


def _status_text(c: Certificate, now: Any) -> str:
    if c.status == Certificate.Status.REVOKED:
        return _("Đã thu hồi")
    if c.not_after <= now:
        return _("Hết hạn")
    if c.not_before > now:
        return _("Chưa có hiệu lực")
    return _("Đang hiệu lực")


@require_GET
def certificates(request: AuthedRequest) -> HttpResponse:
    user = official_or_404(request)
    found = selectors.certificate_list_for_user(user=user)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "c": c,
            "status": _status_text(c, now),
            "usable": c.status == Certificate.Status.VALID and c.not_after > now,
            "locked": c.locked_until is not None and c.locked_until > now,
            "reason": REASON_LABELS.get(c.revocation_reason, c.revocation_reason),
            "holder": c.holder_id == user.pk and needs_pin(c),
        }
        for c in page
    ]
    return render(
        request,
        "signing/certificates.html",
        {**_nav(request, "certificates"), "page": page, "rows": rows},
    )


@require_http_methods(["GET", "POST"])
def certificate_revoke(request: AuthedRequest, serial: str) -> HttpResponse:
    actor = official_or_404(request)
    certificate = selectors.certificate_get_for_user(user=actor, serial=serial)
    form = RevokeForm(_posted(request), reasons=services.REASONS)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.certificate_revoke(
                    actor=actor, certificate=certificate, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                apply_error(form, exc)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Đã thu hồi chứng thư số %(serial)s của %(name)s.")
                    % {"serial": certificate.serial[:12] + "…", "name": certificate.holder_name},
                )
                return redirect(reverse("signing:certificates"))
    return render(
        request,
        "signing/revoke.html",
        {**_nav(request, "certificates"), "c": certificate, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def certificate_pin(request: AuthedRequest, serial: str) -> HttpResponse:
    actor = official_or_404(request)
    certificate = selectors.certificate_get_for_user(user=actor, serial=serial)
    if certificate.holder_id != actor.pk or not needs_pin(certificate):
        raise NotFound()
    form = PinChangeForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.certificate_pin_change(
                    actor=actor,
                    certificate=certificate,
                    old_pin=form.cleaned_data["old_pin"],
                    new_pin=form.cleaned_data["new_pin"],
                )
            except ApplicationError as exc:
                apply_error(form, exc, pin_field="old_pin")
                status = exc.status
            else:
                messages.success(request, _("Đã đổi mã PIN của chứng thư số."))
                return redirect(reverse("signing:certificates"))
    return render(
        request,
        "signing/pin_change.html",
        {**_nav(request, "certificates"), "c": certificate, "form": form},
        status=status,
    )


# --- issuance by agency administrators -----------------------------------------------------


def _administered(request: AuthedRequest) -> list[Any]:
    agencies = selectors.agencies_where(user=official_or_404(request), roles=(Role.AGENCY_ADMIN,))
    if not agencies:
        raise PermissionDenied(
            _("Chỉ quản trị cơ quan được cấp chứng thư số cho cơ quan và cán bộ.")
        )
    return agencies


def _render_issue(
    request: AuthedRequest, agencies: list[Any], code: str, status: int = 200, **extra: Any
) -> HttpResponse:
    agency = next((a for a in agencies if a.code == code), agencies[0])
    members = selectors.agency_members(agency=agency)
    context = {
        **_nav(request, "issue"),
        "agency": agency,
        "agencies": agencies,
        "seal": selectors.seal_of(agency_code=agency.code),
        "seal_form": extra.pop("seal_form", None) or SealIssueForm(initial={"agency": agency.code}),
        "official_form": extra.pop("official_form", None)
        or OfficialIssueForm(initial={"agency": agency.code}, members=members),
        **extra,
    }
    return render(request, "signing/issue.html", context, status=status)


@require_GET
def issue(request: AuthedRequest) -> HttpResponse:
    agencies = _administered(request)
    return _render_issue(request, agencies, request.GET.get("agency", ""))


def _chosen_agency(agencies: list[Any], code: str) -> Any:
    agency = next((a for a in agencies if a.code == code), None)
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan."))
    return agency


@require_POST
def issue_seal(request: AuthedRequest) -> HttpResponse:
    agencies = _administered(request)
    form = SealIssueForm(request.POST)
    if not form.is_valid():
        return _render_issue(request, agencies, "", 422, seal_form=form)
    agency = _chosen_agency(agencies, form.cleaned_data["agency"])
    current = selectors.seal_of(agency_code=agency.code)
    if current is not None and not form.cleaned_data["replace"]:
        form.add_error("replace", _("Đánh dấu để xác nhận thay thế con dấu điện tử hiện tại."))
        return _render_issue(request, agencies, agency.code, 422, seal_form=form)
    try:
        created = services.certificate_issue_seal(actor=request.user, agency=agency)
    except ApplicationError as exc:
        apply_error(form, exc)
        return _render_issue(request, agencies, agency.code, exc.status, seal_form=form)
    return _render_issue(request, agencies, agency.code, created=created)


@require_POST
def issue_official(request: AuthedRequest) -> HttpResponse:
    agencies = _administered(request)
    code = request.POST.get("agency", "")
    agency = _chosen_agency(agencies, code)
    members = selectors.agency_members(agency=agency)
    form = OfficialIssueForm(request.POST, members=members)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        official = next(u for u in members if u.username == data["official"])
        try:
            created = services.certificate_issue_official(
                actor=request.user,
                agency=agency,
                official=official,
                pin=data["pin"],
                title=data["title"],
            )
        except ApplicationError as exc:
            apply_error(form, exc)
            status = exc.status
        else:
            return _render_issue(request, agencies, agency.code, created=created)
    return _render_issue(request, agencies, agency.code, status, official_form=form)


# --- the one-stop counter: citizens' certificates ------------------------------------------


@require_http_methods(["GET", "POST"])
def counter(request: AuthedRequest) -> HttpResponse:
    actor = official_or_404(request)
    agencies = selectors.agencies_where(user=actor, roles=(Role.CLERK,))
    if not agencies:
        raise PermissionDenied(
            _("Chỉ cán bộ tiếp nhận một cửa được cấp chứng thư số cho công dân.")
        )
    form = CounterForm(_posted(request), agencies=agencies)
    context: dict[str, Any] = {**_nav(request, "counter")}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            agency = next(a for a in agencies if a.code == data["agency"])
            try:
                created = services.certificate_issue_citizen(
                    actor=actor,
                    agency=agency,
                    personal_id=data["personal_id"],
                    pin=data["pin"],
                    identity_confirmed=data["identity_confirmed"],
                    email=data["email"],
                )
            except NotFound as exc:
                form.add_error("personal_id", str(exc.message))
                status = exc.status
            except ApplicationError as exc:
                apply_error(form, exc)
                status = exc.status
            else:
                context["created"] = created
                form = CounterForm(agencies=agencies)
                status = 200
    context["form"] = form
    return render(request, "signing/counter.html", context, status=status)
