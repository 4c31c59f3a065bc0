"""Forms of the open-data pages. They check shape only and turn what was typed into the
CKAN-shaped data the services take; the services decide (a name already used, an e-mail
address, a licence, a file too large: the same checks as for the Action API)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError
from thudo.core.pages import apply_error
from thudo.opendata import search, tabular
from thudo.opendata.contracts import FREQUENCIES, LICENSES, DatasetState
from thudo.opendata.display import FIELD_TYPE, label, suggest_name
from thudo.opendata.models import Review

PAGE_MAX = 10_000
VALUES_MAX = 20
# The sort orders offered; "" is the search's own: best match first, then the newest.
SORTS: list[tuple[str, Any]] = [
    ("", _("Phù hợp nhất")),
    ("metadata_modified desc", _("Mới cập nhật")),
    ("metadata_created desc", _("Mới tạo")),
    ("title_string asc", _("Tên (A → Z)")),
    ("title_string desc", _("Tên (Z → A)")),
]


PAGE_ERRORS = {
    "invalid": _("Số trang phải là một số nguyên."),
    "min_value": _("Số trang phải từ 1 trở lên."),
    "max_value": _("Số trang không được quá %(limit_value)s."),
}


def upload_limit() -> int:
    return int(settings.OPENDATA_MAX_UPLOAD_BYTES)


def show_error(
    form: forms.Form, exc: ApplicationError, *, aliases: dict[str, str] | None = None
) -> None:
    """A service's error on the fields it names, or above the form."""
    apply_error(form, exc, aliases=aliases)


class ValuesField(forms.Field):
    """Every value of a repeated parameter (``?tags=a&tags=b``), stripped, without
    duplicates."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        found: list[str] = []
        for item in values:
            text = str(item).strip()
            if len(text) > 200:
                raise forms.ValidationError(_("Giá trị lọc dài quá 200 ký tự."), code="too_long")
            if text and text not in found:
                found.append(text)
        if len(found) > VALUES_MAX:
            raise forms.ValidationError(
                _("Chọn nhiều nhất %(n)s giá trị.") % {"n": VALUES_MAX}, code="too_many"
            )
        return found


class SearchForm(forms.Form):
    """The dataset list's parameters, named as CKAN's portal names them."""

    q = forms.CharField(label=_("Tìm bộ dữ liệu"), max_length=200, required=False)
    sort = forms.ChoiceField(
        label=_("Sắp xếp"),
        choices=SORTS,
        required=False,
        error_messages={"invalid_choice": _("Không có cách sắp xếp “%(value)s”.")},
    )
    page = forms.IntegerField(
        min_value=1, max_value=PAGE_MAX, required=False, error_messages=PAGE_ERRORS
    )
    organization = ValuesField(required=False)
    groups = ValuesField(required=False)
    tags = ValuesField(required=False)
    res_format = ValuesField(required=False)
    license_id = ValuesField(required=False)

    def filters(self) -> dict[str, list[str]]:
        data = self.cleaned_data if self.is_valid() else {}
        return {name: data[name] for name in search.FACET_FIELDS if data.get(name)}

    def problem(self) -> str:
        """What was wrong, for the message above the results."""
        return " ".join(str(m) for messages in self.errors.values() for m in messages)


class PreviewForm(forms.Form):
    q = forms.CharField(label=_("Tìm trong bảng"), max_length=200, required=False)
    page = forms.IntegerField(
        min_value=1, max_value=PAGE_MAX * 10, required=False, error_messages=PAGE_ERRORS
    )


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class DatasetForm(forms.Form):
    """A dataset's record as the publisher edits it; ``data()`` is what the services take."""

    title = forms.CharField(label=_("Tên bộ dữ liệu"), max_length=300)
    name = forms.CharField(
        label=_("Tên định danh (đường dẫn)"),
        max_length=100,
        required=False,
        help_text=_(
            "Chữ thường không dấu, số, “-” và “_”, ví dụ dan-so-theo-phuong; để trống thì "
            "lấy theo tên bộ dữ liệu."
        ),
    )
    title_en = forms.CharField(label=_("Tên tiếng Anh"), max_length=300, required=False)
    notes = forms.CharField(
        label=_("Mô tả"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Văn bản thuần; xuống dòng được giữ nguyên."),
    )
    owner_org = forms.ChoiceField(label=_("Tổ chức công bố"))
    groups = forms.MultipleChoiceField(
        label=_("Chủ đề"), required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(
        label=_("Từ khóa"),
        max_length=2000,
        required=False,
        help_text=_("Cách nhau bằng dấu phẩy, ví dụ: dân số, hộ gia đình."),
    )
    license_id = forms.ChoiceField(
        label=_("Giấy phép"), choices=[(lic.id, lic.title) for lic in LICENSES]
    )
    frequency = forms.ChoiceField(label=_("Tần suất cập nhật"), required=False)
    temporal_start = forms.DateField(
        label=_("Dữ liệu từ ngày"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    temporal_end = forms.DateField(
        label=_("Dữ liệu đến ngày"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    spatial = forms.CharField(
        label=_("Phạm vi (mã đơn vị hành chính)"),
        max_length=2000,
        required=False,
        help_text=_("Mã của Tổng cục Thống kê, cách nhau bằng dấu phẩy, ví dụ: 01, 00004."),
    )
    maintainer = forms.CharField(label=_("Đầu mối liên hệ"), max_length=200, required=False)
    maintainer_email = forms.CharField(
        label=_("Thư điện tử liên hệ"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    version = forms.CharField(label=_("Phiên bản"), max_length=100, required=False)
    state = forms.ChoiceField(
        label=_("Trạng thái"),
        choices=[
            (DatasetState.DRAFT.value, _("Bản nháp — chưa công bố")),
            (DatasetState.ACTIVE.value, _("Công bố")),
        ],
    )
    private = forms.BooleanField(label=_("Nội bộ: chỉ cán bộ của cơ quan xem được"), required=False)
    in_open_data_list = forms.BooleanField(
        label=_("Thuộc danh mục dữ liệu mở (Nghị định 47/2020/NĐ-CP)"), required=False
    )

    def __init__(
        self,
        *args: Any,
        organizations: Iterable[tuple[str, str]] = (),
        groups: Iterable[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_org"].choices = [("", _("— Chọn tổ chức —")), *organizations]  # type: ignore[attr-defined]
        self.fields["groups"].choices = list(groups)  # type: ignore[attr-defined]
        self.fields["frequency"].choices = [  # type: ignore[attr-defined]
            ("", _("— Không nêu —")),
            *((code, label) for code, (label, _gap) in FREQUENCIES.items()),
        ]

    @staticmethod
    def initial_from(record: dict[str, Any]) -> dict[str, Any]:
        """The form's values from a ``package_show`` record."""
        return {
            "title": record["title"],
            "name": record["name"],
            "title_en": record.get("title_en") or "",
            "notes": record.get("notes") or "",
            "owner_org": record["organization"]["name"],
            "groups": [g["name"] for g in record.get("groups") or []],
            "tags": ", ".join(t["name"] for t in record.get("tags") or []),
            "license_id": record.get("license_id"),
            "frequency": record.get("frequency") or "",
            "temporal_start": record.get("temporal_start") or None,
            "temporal_end": record.get("temporal_end") or None,
            "spatial": ", ".join(s["code"] for s in record.get("spatial") or []),
            "maintainer": record.get("maintainer") or "",
            "maintainer_email": record.get("maintainer_email") or "",
            "version": record.get("version") or "",
            "state": record.get("state"),
            "private": bool(record.get("private")),
            "in_open_data_list": bool(record.get("in_open_data_list")),
        }

    def data_for_service(self, *, creating: bool = False) -> dict[str, Any]:
        data = self.cleaned_data
        start, end = data.get("temporal_start"), data.get("temporal_end")
        found = {
            "name": data.get("name") or suggest_name(data.get("title") or ""),
            "title": data.get("title") or "",
            "title_en": data.get("title_en") or "",
            "notes": data.get("notes") or "",
            "owner_org": data.get("owner_org") or "",
            "groups": [{"name": g} for g in data.get("groups") or []],
            "tags": _comma_list(data.get("tags") or ""),
            "license_id": data.get("license_id") or "",
            "frequency": data.get("frequency") or "",
            "temporal_start": start.isoformat() if start else None,
            "temporal_end": end.isoformat() if end else None,
            "spatial": _comma_list(data.get("spatial") or ""),
            "maintainer": data.get("maintainer") or "",
            "maintainer_email": data.get("maintainer_email") or "",
            "version": data.get("version") or "",
            "state": data.get("state") or DatasetState.DRAFT.value,
            "private": bool(data.get("private")),
            "in_open_data_list": bool(data.get("in_open_data_list")),
        }
        if creating and not found["in_open_data_list"]:
            # The service counts naming the list at all on a new dataset as a
            # publisher's step; a dataset left out of it needs no publisher.
            del found["in_open_data_list"]
        return found


class ResourceForm(forms.Form):
    """A file uploaded, or a link to one."""

    name = forms.CharField(label=_("Tên tài nguyên"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Mô tả"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(label=_("Tệp"), required=False)
    url = forms.CharField(label=_("Hoặc đường dẫn đến tệp"), max_length=1000, required=False)
    format = forms.CharField(
        label=_("Định dạng"),
        max_length=20,
        required=False,
        help_text=_("Ví dụ CSV, XLSX, JSON, PDF; để trống thì lấy theo phần mở rộng của tệp."),
    )

    def clean_file(self) -> UploadedFile | None:
        uploaded: UploadedFile | None = self.cleaned_data.get("file")
        limit = upload_limit()
        if uploaded is not None and (uploaded.size or 0) > limit:
            # Refused before it is read into memory; the service has the same cap.
            raise forms.ValidationError(
                _("Tệp lớn hơn giới hạn %(n)s MB.") % {"n": f"{limit / 2**20:.3g}"},
                code="too_large",
            )
        return uploaded

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("file") and not data.get("url"):
            raise forms.ValidationError(
                _("Chọn một tệp để tải lên hoặc nhập đường dẫn."), code="required"
            )
        return data

    def aliases(self) -> dict[str, str]:
        return {"upload": "file"}


class ReviewForm(forms.Form):
    """Rà soát danh mục dữ liệu mở (Decree 47, art. 19)."""

    outcome = forms.ChoiceField(
        label=_("Kết quả rà soát"), choices=Review.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Ghi chú"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def type_field(index: int) -> str:
    return f"type_{index}"


class ReloadForm(forms.Form):
    """A datastore table loaded again, with the column types chosen here instead of the
    inferred ones."""

    def __init__(self, *args: Any, columns: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        """``columns``: (column, its current type)."""
        super().__init__(*args, **kwargs)
        self.columns: dict[str, str] = {}
        choices = [(code, f"{label(FIELD_TYPE, code)} ({code})") for code in tabular.FIELD_TYPES]
        for index, (column, current) in enumerate(columns):
            name = type_field(index)
            self.fields[name] = forms.ChoiceField(label=column, choices=choices, initial=current)
            self.columns[name] = column

    def types(self, current: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
        """The types to load with: those changed here, and earlier overrides kept."""
        found = {}
        for name, column in self.columns.items():
            chosen = self.cleaned_data.get(name) or current.get(column, "text")
            if chosen != current.get(column) or column in overrides:
                found[column] = chosen
        return found

    def aliases(self) -> dict[str, str]:
        return {column: name for name, column in self.columns.items()}
