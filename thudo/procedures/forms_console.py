"""Forms of the officials' one-stop console (một cửa điện tử). They validate shape; the
services decide. A paper dossier taken at the counter is typed into the citizen's own
declaration form (``forms_portal.DossierForm``), so both see the same fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from thudo.core import pages
from thudo.core.errors import ApplicationError
from thudo.core.models import Agency
from thudo.procedures.models import Procedure, Task
from thudo.signing.facade import CertificateInfo, PinInvalid, PinLocked

DECISION_LABELS = {
    "approve": _("Đồng ý"),
    "refuse": _("Từ chối"),
    "supplement": _("Yêu cầu bổ sung hồ sơ"),
    "return": _("Trả lại để xử lý lại"),
    "rework": _("Trả lại để hoàn thiện"),
}
FIELD_LABELS = {
    "note": _("Ý kiến xử lý"),
    "refusal_reason": _("Lý do từ chối"),
}


def apply_error(
    form: forms.Form,
    exc: ApplicationError,
    *,
    aliases: Mapping[str, str] | None = None,
    fallback: bool = True,
) -> bool:
    """Show a service's error on the form: on the field it names (``aliases`` maps the
    service's names to the form's), a wrong or locked PIN on the PIN field; otherwise, with
    ``fallback``, above the form. Whether the error is on the form now."""
    if isinstance(exc, PinInvalid | PinLocked) and "pin" in form.fields:
        form.add_error("pin", str(exc.message))
        return True
    return pages.apply_error(form, exc, aliases=aliases, fallback=fallback)


# --- the console ------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["reason"].label = label


class PostponeForm(forms.Form):
    new_due = forms.DateTimeField(
        label=_("Ngày, giờ hẹn trả kết quả mới"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=_("Lý do chậm và lời xin lỗi"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_new_due(self) -> datetime:
        value: datetime = self.cleaned_data["new_due"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


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


@dataclass(frozen=True)
class TaskField:
    """A value an official gives when completing a BPMN task, as the process declares it."""

    name: str
    choices: tuple[str, ...] = ()
    required: bool = True


def task_fields(task: Task) -> list[TaskField]:
    """The task's declared fields, whether stored as names or as name/choices/required."""
    found = []
    for item in task.fields or []:
        if isinstance(item, str):
            found.append(TaskField(item.rstrip("?"), (), not item.endswith("?")))
        elif isinstance(item, Mapping) and item.get("name"):
            found.append(
                TaskField(
                    str(item["name"]),
                    tuple(str(c) for c in item.get("choices") or ()),
                    bool(item.get("required", True)),
                )
            )
        elif isinstance(item, list | tuple) and item:
            choices = item[1] if len(item) > 1 else ()
            required = bool(item[2]) if len(item) > 2 else True
            found.append(TaskField(str(item[0]), tuple(str(c) for c in choices), required))
    return found


class TaskForm(forms.Form):
    """Completing one task: a decision when the process asks for one (approve / refuse
    by default, or the choices the process declares), a note, and any other field as
    text. ``without``: decisions given elsewhere (an approval given by signing)."""

    def __init__(self, *args: Any, task: Task, without: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in task_fields(task):
            if spec.name == "decision":
                declared = spec.choices or ("approve", "refuse")
                offered = [c for c in declared if c in DECISION_LABELS and c not in without]
                self.fields["decision"] = forms.ChoiceField(
                    label=_("Kết quả xử lý"),
                    choices=[(c, DECISION_LABELS[c]) for c in offered],
                    widget=forms.RadioSelect,
                )
            elif spec.name in ("note", "refusal_reason"):
                self.fields[spec.name] = forms.CharField(
                    label=FIELD_LABELS[spec.name],
                    required=False,
                    max_length=4000,
                    help_text=_("Bắt buộc khi từ chối: ghi rõ lý do.")
                    if spec.name == "note"
                    else "",
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
            else:
                self.fields[spec.name] = forms.CharField(
                    label=spec.name.replace("_", " ").capitalize(),
                    required=spec.required,
                    max_length=4000,
                )

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if value is not None}


class AgencyPicker(forms.Form):
    agency = forms.ChoiceField(label=_("Cơ quan"), required=False)

    def __init__(self, *args: Any, agencies: Iterable[Agency] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.code, a.name) for a in agencies]  # type: ignore[attr-defined]


# --- counter mode: a paper dossier typed in at the desk ------------------------------------


class CounterStartForm(forms.Form):
    procedure = forms.ChoiceField(label=_("Thủ tục hành chính"))
    agency = forms.ChoiceField(
        label=_("Cơ quan có thẩm quyền giải quyết"),
        help_text=_("Hồ sơ được chuyển đến cơ quan này, không phụ thuộc nơi tiếp nhận."),
    )
    personal_id = forms.CharField(
        label=_("Số định danh cá nhân của người nộp"),
        max_length=12,
        min_length=12,
        help_text=_("12 chữ số trên thẻ căn cước; thông tin cá nhân được lấy từ CSDL dân cư."),
        validators=[RegexValidator(r"^\d{12}$", _("Số định danh cá nhân gồm 12 chữ số."))],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": r"\d{12}"}
        ),
    )

    def __init__(
        self,
        *args: Any,
        procedures: Iterable[Procedure] = (),
        agencies: Mapping[str, Iterable[Agency]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [  # type: ignore[attr-defined]
            ("", _("— Chọn thủ tục —")),
            *((p.code, f"{p.name} ({p.code})") for p in procedures),
        ]
        kinds = dict(Agency.Kind.choices)
        self.fields["agency"].choices = [  # type: ignore[attr-defined]
            ("", _("— Chọn cơ quan —")),
            *(
                (str(kinds.get(kind, kind)), [(a.code, a.name) for a in group])
                for kind, group in (agencies or {}).items()
            ),
        ]


# --- the service index -----------------------------------------------------------------------


class IndexForm(forms.Form):
    start = forms.DateField(label=_("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Đến ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    agency = forms.ChoiceField(label=_("Cơ quan"), required=False)

    def __init__(self, *args: Any, agencies: Iterable[Agency] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [  # type: ignore[attr-defined]
            ("", _("Tất cả cơ quan")),
            *((a.code, a.name) for a in agencies),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return data
