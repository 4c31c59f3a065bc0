"""Forms of the exchange hub's pages. They validate shape; services decide."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError
from thudo.core.models import Agency
from thudo.exchange.models import MemberSystem, Service
from thudo.exchange.openapi import OperationInfo


def apply_error(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's error on the form: per field where it names one."""
    placed = False
    for error in exc.field_errors:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def start_of(day: date | None) -> datetime | None:
    """The first moment of a day in the platform's time zone."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of(day: date | None) -> datetime | None:
    """Validity "until a day" includes that whole day."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


class SystemRegisterForm(forms.Form):
    agency = forms.ChoiceField(label=_("Cơ quan chủ quản"))
    member_class = forms.ChoiceField(
        label=_("Loại thành viên"),
        choices=MemberSystem.MemberClass.choices,
        initial=MemberSystem.MemberClass.GOV,
    )
    code = forms.CharField(
        label=_("Mã hệ thống"),
        max_length=50,
        help_text=_("Chữ in hoa, chữ số, '-' hoặc '_', ví dụ MOTCUA."),
    )
    name = forms.CharField(label=_("Tên hệ thống"), max_length=255)
    description = forms.CharField(
        label=_("Mô tả"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact_email = forms.EmailField(label=_("Thư điện tử liên hệ"), required=False)

    def __init__(self, *args: Any, agencies: Iterable[Agency] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.code, f"{a.name} ({a.code})") for a in agencies]  # type: ignore[attr-defined]


class SystemRevokeForm(forms.Form):
    reason = forms.CharField(label=_("Lý do thu hồi"), max_length=4000)


class GrantRequestForm(forms.Form):
    consumer = forms.ChoiceField(label=_("Hệ thống khai thác (của cơ quan bạn)"))
    service = forms.TypedChoiceField(label=_("Dịch vụ cần dùng"), coerce=int)
    operations = forms.MultipleChoiceField(
        label=_("Thao tác cần dùng"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    purpose = forms.CharField(
        label=_("Mục đích sử dụng"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Nói rõ dữ liệu dùng để làm gì; người dân có quyền được biết."),
    )
    legal_basis = forms.CharField(
        label=_("Căn cứ pháp lý"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Văn bản cho phép khai thác, ví dụ Nghị định 278/2025/NĐ-CP."),
    )
    valid_from = forms.DateField(
        label=_("Hiệu lực từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Hiệu lực đến hết ngày"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(
        self,
        *args: Any,
        consumers: Iterable[MemberSystem] = (),
        services: Iterable[Service] = (),
        operations: Iterable[OperationInfo] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        consumer_choices = [(s.identifier, f"{s.name} — {s.identifier}") for s in consumers]
        self.has_consumers = bool(consumer_choices)
        self.fields["consumer"].choices = consumer_choices  # type: ignore[attr-defined]
        self.fields["service"].choices = [  # type: ignore[attr-defined]
            ("", _("— Chọn dịch vụ —")),
            *((s.pk, f"{s.name} — {s.provider.identifier}/{s.code}") for s in services),
        ]
        self.fields["operations"].choices = [  # type: ignore[attr-defined]
            (op.key, f"{op.key}{' — ' + op.summary if op.summary else ''}") for op in operations
        ]

    def chosen_operations(self) -> list[dict[str, str]]:
        chosen = []
        for key in self.cleaned_data.get("operations") or ():
            method, _sep, path = key.partition(" ")
            chosen.append({"method": method, "path": path})
        return chosen


class GrantDecisionForm(forms.Form):
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=4000)
