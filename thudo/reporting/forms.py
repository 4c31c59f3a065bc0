"""Forms of the reporting pages. They check shape; the services and analytics decide (a
number is read by the services as people type it, a code is looked up by analytics)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError
from thudo.core.models import Agency
from thudo.core.pages import apply_error
from thudo.reporting import periods
from thudo.reporting.models import CODE_MAX, PERIOD_TYPES

MAX_WORKBOOK = 5 * 1024 * 1024  # a filled-in form is a few dozen kilobytes
MAX_PERIODS = 60  # what analytics answers in one request


# --- the entry grid -------------------------------------------------------------------------


class CellForm(forms.Form):
    """One cell as the grid posts it: the text goes to the service as typed."""

    element = forms.CharField(max_length=CODE_MAX)
    disaggregation = forms.CharField(max_length=200, required=False)
    value = forms.CharField(max_length=100, required=False, strip=False)
    col = forms.IntegerField(min_value=0, max_value=99, required=False)


class StepForm(forms.Form):
    """Completing, approving or accepting: an optional comment for the approval trail."""

    comment = forms.CharField(
        label=_("Ý kiến"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )


class ExcelUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp Excel đã điền"),
        help_text=_(
            "Biểu tải về từ trang này, đã điền số liệu (.xlsx). Có ô sai thì không lưu ô nào."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self) -> UploadedFile:
        uploaded: UploadedFile = self.cleaned_data["file"]
        if (uploaded.size or 0) > MAX_WORKBOOK:
            raise forms.ValidationError(_("Tệp quá lớn (tối đa 5 MB)."), code="too_large")
        return uploaded


# --- analytics ------------------------------------------------------------------------------


class CodesField(forms.MultipleChoiceField):
    """Codes picked from a list but checked by analytics, not against the list: a code
    typed into the address gets analytics' own message naming it."""

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def _split(text: str) -> list[str]:
    return [item for item in re.split(r"[;,\s]+", text) if item]


def last_quarters(today: date, count: int = 4) -> tuple[str, str]:
    """First and last code of the ``count`` calendar quarters up to today's."""
    last = periods.of_type(periods.PeriodType.QUARTERLY, today.year, today.month)
    first = last
    for _step in range(count - 1):
        first = first.previous()
    return first.code, last.code


class AnalyticsForm(forms.Form):
    dx = CodesField(
        label=_("Chỉ tiêu, chỉ số"),
        help_text=_("Giữ Ctrl (hoặc Shift) để chọn nhiều."),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    pe_type = forms.ChoiceField(label=_("Loại kỳ"), choices=PERIOD_TYPES)
    pe_from = forms.CharField(
        label=_("Từ kỳ"), max_length=8, required=False, help_text=_("Ví dụ: 2026Q1, 2026M03")
    )
    pe_to = forms.CharField(label=_("Đến kỳ"), max_length=8, required=False)
    pe = forms.CharField(
        label=_("Hoặc liệt kê các kỳ"),
        max_length=600,
        required=False,
        help_text=_("Mã kỳ cách nhau bởi dấu chấm phẩy, ví dụ: 2026M01;2026M02;2026Q1"),
    )
    ou = forms.CharField(label=_("Đơn vị"), max_length=CODE_MAX, widget=forms.Select)
    ou_children = forms.BooleanField(label=_("Kèm các đơn vị trực thuộc"), required=False)

    def __init__(
        self,
        *args: Any,
        dx_choices: Sequence[tuple[str, Any]] = (),
        units: Iterable[Agency] = (),
        today: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        units = list(units)
        self.fields["dx"].choices = list(dx_choices)  # type: ignore[attr-defined]
        # A code field shown as a list: the list has no length limit of its own.
        self.fields["ou"].widget.attrs.pop("maxlength", None)
        self.fields["ou"].widget.choices = [(u.code, f"{u.name} ({u.code})") for u in units]
        first, last = last_quarters(today or timezone.localdate())
        self.fields["pe_type"].initial = periods.PeriodType.QUARTERLY.value
        self.fields["pe_from"].initial = first
        self.fields["pe_to"].initial = last
        if units:
            self.fields["ou"].initial = units[0].code

    def _period(self, name: str) -> periods.ReportingPeriod | None:
        code = self.cleaned_data.get(name, "").strip()
        if not code:
            self.add_error(name, _("Nhập mã kỳ."))
            return None
        try:
            return periods.parse(code)
        except periods.PeriodError:
            self.add_error(name, _("Kỳ %(c)s không hợp lệ.") % {"c": code})
            return None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        listed = _split(data.get("pe", ""))
        codes: list[str] = listed
        if not listed:
            start, end = self._period("pe_from"), self._period("pe_to")
            kind = data.get("pe_type")
            codes = []
            if start is not None and end is not None and kind:
                codes = periods.in_range(kind, start, end)
                if not codes:
                    self.add_error("pe_to", _("Kỳ cuối phải từ kỳ đầu trở đi."))
        if len(codes) > MAX_PERIODS:
            field = "pe" if listed else "pe_to"
            self.add_error(field, _("Tối đa %(n)d kỳ.") % {"n": MAX_PERIODS})
        data["periods"] = codes
        unit = data.get("ou", "").strip()
        data["units"] = [unit, f"{unit}:children"] if data.get("ou_children") else [unit]
        return data

    def apply(self, exc: ApplicationError) -> None:
        """Analytics' errors on the fields they are about."""
        aliases = {"pe": "pe" if self.cleaned_data.get("pe") else "pe_from"}
        apply_error(self, exc, aliases=aliases)
