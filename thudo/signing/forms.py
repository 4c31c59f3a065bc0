"""Forms of the signing pages. They validate shape (sizes, required fields, a PIN typed
twice alike); the services decide everything else (PIN strength, permissions, the
population database's answer)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError
from thudo.core.models import Agency, User
from thudo.signing.contracts import B_LT, B_T, PinInvalid, PinLocked
from thudo.signing.models import Certificate
from thudo.signing.pades import MAX_PDF_BYTES

PDF_ACCEPT = {"accept": "application/pdf,.pdf"}
PIN_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "maxlength": "12"}

# RFC 5280 reasons (services.REASONS) as people say them, most used first.
REASON_LABELS = {
    "keyCompromise": _("Lộ hoặc nghi lộ khóa bí mật, mã PIN"),
    "affiliationChanged": _("Thay đổi cơ quan, đơn vị công tác hoặc thông tin trên chứng thư"),
    "superseded": _("Đã cấp chứng thư số mới thay thế"),
    "cessationOfOperation": _("Không còn sử dụng (nghỉ việc, nghỉ hưu, giải thể)"),
    "privilegeWithdrawn": _("Bị thu hồi quyền ký"),
    "certificateHold": _("Tạm dừng sử dụng"),
    "cACompromise": _("Tổ chức chứng thực bị lộ khóa"),
    "aACompromise": _("Tổ chức cấp thuộc tính bị lộ khóa"),
}


def apply_error(form: forms.Form, exc: ApplicationError, *, pin_field: str = "pin") -> None:
    """Show a service's error on the form: per field where it names one; a wrong or
    locked PIN on the PIN field."""
    if isinstance(exc, PinInvalid | PinLocked) and pin_field in form.fields:
        form.add_error(pin_field, str(exc.message))
        return
    placed = False
    for error in exc.field_errors:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def _pin(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=12,
        strip=False,
        widget=forms.PasswordInput(attrs=PIN_ATTRS),
    )


class PdfFileField(forms.FileField):
    """A PDF of at most 50 MB; the bytes are read once, here."""

    default_error_messages = {
        "required": _("Chọn tệp PDF."),
        "empty": _("Tệp rỗng."),
        "too_large": _("Tệp lớn hơn 50 MB."),
        "not_pdf": _("Tệp không phải PDF (phải bắt đầu bằng %PDF-)."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs=PDF_ACCEPT))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        uploaded: UploadedFile | None = super().clean(data, initial)
        if uploaded is None:
            return None
        if (uploaded.size or 0) > MAX_PDF_BYTES:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        uploaded.seek(0)
        head = uploaded.read(5)
        if head != b"%PDF-":
            raise forms.ValidationError(self.error_messages["not_pdf"], code="not_pdf")
        uploaded.seek(0)
        return uploaded


def read_pdf(uploaded: UploadedFile) -> bytes:
    uploaded.seek(0)
    return b"".join(uploaded.chunks())


def signed_file_name(name: str | None) -> str:
    """``quyet-dinh.pdf`` → ``quyet-dinh-signed.pdf`` (directories sent by a browser dropped)."""
    stem = Path((name or "").replace("\\", "/")).stem.strip() or "tai-lieu"
    return f"{stem}-signed.pdf"


class VerifyForm(forms.Form):
    file = PdfFileField(
        label=_("Tệp PDF cần kiểm tra"),
        help_text=_("Tối đa 50 MB. Tệp chỉ được kiểm tra, không được lưu lại."),
    )


class PinTwiceForm(forms.Form):
    """A new PIN typed twice; the service checks its strength."""

    pin_field = "pin"
    repeat_field = "pin_repeat"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get(self.pin_field), data.get(self.repeat_field)
        if first and second and first != second:
            self.add_error(self.repeat_field, _("Hai lần nhập mã PIN không khớp."))
        return data


class CounterForm(PinTwiceForm):
    """At the one-stop counter: the clerk checks the ID card, the citizen types the PIN."""

    agency = forms.ChoiceField(label=_("Bộ phận một cửa"))
    personal_id = forms.CharField(
        label=_("Số định danh cá nhân (số căn cước công dân)"),
        max_length=12,
        help_text=_("12 chữ số. Họ tên lấy từ Cơ sở dữ liệu quốc gia về dân cư."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    identity_confirmed = forms.BooleanField(
        label=_("Đã đối chiếu căn cước công dân"),
        help_text=_("Cán bộ đã kiểm tra thẻ căn cước của người đề nghị, trực tiếp tại quầy."),
        error_messages={
            "required": _("Cần xác nhận đã đối chiếu căn cước công dân của người đề nghị.")
        },
    )
    pin = _pin(_("Mã PIN"), _("6 đến 12 chữ số, do công dân tự nhập; không dùng số dễ đoán."))
    pin_repeat = _pin(_("Nhập lại mã PIN"))
    email = forms.EmailField(label=_("Thư điện tử của công dân"), required=False)

    def __init__(self, *args: Any, agencies: Iterable[Agency] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(a.code, a.name) for a in agencies]
        self.fields["agency"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1:
            self.fields["agency"].initial = choices[0][0]
            self.fields["agency"].widget = forms.HiddenInput()


class SealIssueForm(forms.Form):
    agency = forms.CharField(widget=forms.HiddenInput())
    replace = forms.BooleanField(
        label=_("Thay thế con dấu điện tử hiện tại (con dấu cũ bị thu hồi ngay)"), required=False
    )


class OfficialIssueForm(PinTwiceForm):
    agency = forms.CharField(widget=forms.HiddenInput())
    official = forms.ChoiceField(label=_("Cán bộ được cấp"))
    title = forms.CharField(
        label=_("Chức vụ ghi trên chứng thư"),
        max_length=100,
        required=False,
        help_text=_("Để trống để dùng chức vụ của cán bộ tại cơ quan."),
    )
    pin = _pin(_("Mã PIN"), _("Cán bộ được cấp tự nhập: 6 đến 12 chữ số."))
    pin_repeat = _pin(_("Nhập lại mã PIN"))

    def __init__(self, *args: Any, members: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["official"].choices = [  # type: ignore[attr-defined]
            ("", _("— Chọn cán bộ —")),
            *((u.username, f"{u.full_name or u.username} ({u.username})") for u in members),
        ]


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Lý do thu hồi"))

    def __init__(self, *args: Any, reasons: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = set(reasons)
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            ("", _("— Chọn lý do —")),
            *((code, label) for code, label in REASON_LABELS.items() if code in allowed),
        ]


class PinChangeForm(PinTwiceForm):
    pin_field = "new_pin"
    repeat_field = "new_pin_repeat"

    old_pin = _pin(_("Mã PIN hiện tại"))
    new_pin = _pin(_("Mã PIN mới"), _("6 đến 12 chữ số; không dùng số dễ đoán."))
    new_pin_repeat = _pin(_("Nhập lại mã PIN mới"))


def certificate_label(certificate: Certificate) -> str:
    kind = certificate.get_profile_display()
    until = certificate.not_after.strftime("%d/%m/%Y")
    return f"{certificate.holder_name} — {kind} — {certificate.serial[:12]}… (đến {until})"


LEVEL_CHOICES = [
    (B_LT, _("PAdES B-LT: có dấu thời gian và dữ liệu kiểm tra thu hồi (khuyên dùng)")),
    (B_T, _("PAdES B-T: có dấu thời gian")),
]


class SignForm(forms.Form):
    file = PdfFileField(label=_("Tệp PDF cần ký"), help_text=_("Tối đa 50 MB."))
    certificate = forms.ChoiceField(
        label=_("Chứng thư số dùng để ký"),
        error_messages={"invalid_choice": _("Chọn một chứng thư số trong danh sách.")},
    )
    level = forms.ChoiceField(
        label=_("Mức chữ ký"), choices=LEVEL_CHOICES, initial=B_LT, widget=forms.RadioSelect
    )
    visible = forms.BooleanField(
        label=_("Hiển thị chữ ký ở cuối trang đầu"), required=False, initial=True
    )
    authority = forms.CharField(
        label=_("Dòng thẩm quyền ký"),
        max_length=100,
        required=False,
        help_text=_("Ví dụ: TM. ỦY BAN NHÂN DÂN, KT. CHỦ TỊCH."),
    )
    position = forms.CharField(
        label=_("Chức vụ người ký"),
        max_length=100,
        required=False,
        help_text=_("Ví dụ: PHÓ CHỦ TỊCH."),
    )
    pin = forms.CharField(
        label=_("Mã PIN của chứng thư số"),
        max_length=12,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs=PIN_ATTRS),
        error_messages={"required": _("Nhập mã PIN của chứng thư số.")},
    )

    def __init__(self, *args: Any, certificates: Iterable[Certificate] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.certificates = {c.serial: c for c in certificates}
        self.fields["certificate"].choices = [  # type: ignore[attr-defined]
            (serial, certificate_label(c)) for serial, c in self.certificates.items()
        ]
        chosen = self.chosen()
        # Shown as required for a personal certificate; a seal has no PIN field at all.
        self.fields["pin"].required = chosen is None or needs_pin(chosen)

    def chosen(self) -> Certificate | None:
        """The certificate selected (bound or initial), to know whether a PIN is asked."""
        serial = self["certificate"].value() or next(iter(self.certificates), None)
        return self.certificates.get(str(serial or ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        certificate = self.certificates.get(data.get("certificate") or "")
        if certificate is None:
            return data
        data["certificate"] = certificate
        if needs_pin(certificate):
            if not data.get("pin") and "pin" not in self.errors:
                self.add_error("pin", _("Nhập mã PIN của chứng thư số."))
        else:
            # A seal is held by the server: any PIN typed is ignored, never passed on.
            data["pin"] = None
        return data


def needs_pin(certificate: Certificate) -> bool:
    return certificate.profile != Certificate.Profile.SEAL
