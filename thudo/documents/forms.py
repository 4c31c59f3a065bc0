"""Forms of the documents pages. They validate shape; the services decide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from thudo.core import pages
from thudo.core.errors import ApplicationError
from thudo.core.models import Agency, User
from thudo.documents.contracts import DOCUMENT_TYPES, URGENCY
from thudo.documents.models import Document
from thudo.signing.facade import CertificateInfo, PinInvalid, PinLocked

# What the clerk's office types most (Decree 30, Appendix I: "TM.", "KT.", "Q.", "TL.", "TUQ.").
AUTHORITY_SUGGESTIONS = (
    "TM. ỦY BAN NHÂN DÂN",
    "KT. CHỦ TỊCH",
    "TL. CHỦ TỊCH",
    "TUQ. CHỦ TỊCH",
    "Q. CHỦ TỊCH",
)
POSITION_SUGGESTIONS = ("CHỦ TỊCH", "PHÓ CHỦ TỊCH", "CHÁNH VĂN PHÒNG", "TRƯỞNG PHÒNG")
MAX_FILES = 10
# What services.ATTACHMENT_TYPES takes, for the browser's file picker.
ACCEPT = ".pdf,.doc,.docx,.xlsx,.png,.jpg,.jpeg"

OUTGOING_STATUSES = ("draft", "review", "returned", "approved", "signed", "issued")
INCOMING_STATUSES = ("received", "registered", "assigned", "in_progress", "done", "rejected")
TABS = ("out", "in", "mine")


def apply_error(
    form: forms.Form,
    exc: ApplicationError,
    *,
    aliases: dict[str, str] | None = None,
    fallback: bool = True,
) -> bool:
    """Show a service's error on the form: on the field it names (``aliases`` maps the
    service's names to the form's), a wrong or locked PIN on the PIN field; otherwise, with
    ``fallback``, above the form. Whether the error is on the form now."""
    if isinstance(exc, PinInvalid | PinLocked) and "pin" in form.fields:
        form.add_error("pin", str(exc.message))
        return True
    return pages.apply_error(form, exc, aliases=aliases, fallback=fallback)


def type_choices() -> list[tuple[str, str]]:
    return [(code, name) for code, (name, _abbreviation) in DOCUMENT_TYPES.items()]


def status_choices(tab: str) -> list[tuple[str, str]]:
    wanted = INCOMING_STATUSES if tab == "in" else OUTGOING_STATUSES
    labels = dict(Document.Status.choices)
    return [(value, str(labels[value])) for value in wanted]


class SearchForm(forms.Form):
    """The filters of the documents list (GET); an invalid value is dropped, not an error
    page: the list is still worth showing."""

    q = forms.CharField(label=_("Tìm văn bản"), max_length=200, required=False)
    type_code = forms.ChoiceField(label=_("Loại văn bản"), required=False)
    status = forms.ChoiceField(label=_("Trạng thái"), required=False)
    sender = forms.CharField(label=_("Cơ quan gửi"), max_length=100, required=False)
    since = forms.DateField(label=_("Từ ngày"), required=False)
    until = forms.DateField(label=_("Đến ngày"), required=False)
    done = forms.BooleanField(label=_("Cả việc đã hoàn thành"), required=False)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        tab = (data or {}).get("tab", "")
        self.tab: str = tab if tab in TABS else "out"
        self.fields["type_code"].choices = [("", _("Tất cả")), *type_choices()]  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("Tất cả")), *status_choices(self.tab)]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters, for the selector; the invalid ones are left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        names = ["q", "type_code", "status", "since", "until"]
        if self.tab == "in":
            names.append("sender")
        chosen = {name: data.get(name) for name in names if name not in self.errors}
        return {name: value for name, value in chosen.items() if value not in (None, "")}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Tối đa %(n)s tệp mỗi lần.") % {"n": MAX_FILES}, code="too_many"
            )
        return [f for f in files if f]


class DraftForm(forms.Form):
    type_code = forms.ChoiceField(label=_("Loại văn bản"), initial="CV")
    summary = forms.CharField(
        label=_("Trích yếu"),
        max_length=500,
        help_text=_("Tóm tắt nội dung, ví dụ: Về việc kiện toàn Tổ công tác chuyển đổi số."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    body = forms.CharField(
        label=_("Nội dung"),
        required=False,
        max_length=200_000,
        help_text=_("Mỗi đoạn cách nhau một dòng trống."),
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    recipients = forms.MultipleChoiceField(
        label=_("Nơi nhận"),
        required=False,
        help_text=_("Giữ phím Ctrl (hoặc ⌘) để chọn nhiều cơ quan."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    urgency = forms.ChoiceField(label=_("Độ khẩn"), choices=list(URGENCY.items()), initial="normal")
    confidential = forms.BooleanField(label=_("Văn bản mật"), required=False)
    signer = forms.TypedChoiceField(
        label=_("Người ký"), coerce=int, required=False, empty_value=None
    )
    signer_authority = forms.CharField(
        label=_("Thẩm quyền ký"),
        max_length=100,
        required=False,
        help_text=_("Ví dụ: TM. ỦY BAN NHÂN DÂN, KT. CHỦ TỊCH."),
        widget=forms.TextInput(attrs={"list": "authority-suggestions", "autocomplete": "off"}),
    )
    signer_position = forms.CharField(
        label=_("Chức vụ người ký"),
        max_length=100,
        required=False,
        help_text=_("Ví dụ: CHỦ TỊCH, PHÓ CHỦ TỊCH."),
        widget=forms.TextInput(attrs={"list": "position-suggestions", "autocomplete": "off"}),
    )
    attachments = MultipleFileField(
        label=_("Tệp đính kèm"),
        required=False,
        help_text=_("PDF, Word, Excel, PNG hoặc JPEG; mỗi tệp tối đa 20 MB."),
    )

    def __init__(
        self,
        *args: Any,
        recipients: Iterable[Agency] = (),
        signers: Iterable[User] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type_code"].choices = type_choices()  # type: ignore[attr-defined]
        self.fields["recipients"].choices = [(a.code, a.name) for a in recipients]  # type: ignore[attr-defined]
        self.fields["signer"].choices = [("", _("— Chọn sau —"))] + [  # type: ignore[attr-defined]
            (u.pk, u.full_name or u.get_username()) for u in signers
        ]


def draft_initial(document: Document) -> dict[str, Any]:
    return {
        "type_code": document.type_code,
        "summary": document.summary,
        "body": document.body,
        "recipients": [r.agency_code for r in document.recipients.all()],
        "urgency": document.urgency,
        "confidential": document.confidential,
        "signer": document.signer_id,
        "signer_authority": document.signer_authority,
        "signer_position": document.signer_position,
    }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Duyệt")), ("return", _("Trả lại"))])
    note = forms.CharField(
        label=_("Ý kiến"),
        required=False,
        max_length=4000,
        help_text=_("Bắt buộc khi trả lại: ghi rõ nội dung cần sửa."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SignForm(forms.Form):
    serial = forms.ChoiceField(label=_("Chứng thư số"))
    pin = forms.CharField(
        label=_("Mã PIN"),
        max_length=12,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "12"}
        ),
    )

    def __init__(
        self, *args: Any, certificates: Iterable[CertificateInfo] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["serial"].choices = [  # type: ignore[attr-defined]
            (c.serial, f"{c.holder_name} — {c.title or c.agency_name} ({c.serial[:12]}…)")
            for c in certificates
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do trả lại"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Người xử lý"), coerce=int)
    working_days = forms.IntegerField(
        label=_("Thời hạn (ngày làm việc)"), min_value=1, max_value=90, initial=5
    )
    instructions = forms.CharField(
        label=_("Ý kiến chỉ đạo"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, members: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            (u.pk, u.full_name or u.get_username()) for u in members
        ]


class ProgressForm(forms.Form):
    note = forms.CharField(
        label=_("Tiến độ xử lý"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompleteForm(forms.Form):
    result = forms.CharField(
        label=_("Kết quả xử lý"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
