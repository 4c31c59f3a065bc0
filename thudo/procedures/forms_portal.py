"""Forms of the citizens' public-services pages (dịch vụ công). They validate shape; the
services decide.

``DossierForm`` is the applicant's declaration (tờ khai) generated from the procedure
version's JSON Schema, with one upload per component the applicant provides and, where
the procedure allows it, a pick from their data wallet (kho dữ liệu). A draft may be saved
incomplete: only what is typed is checked; "continue" checks everything the schema
requires."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError
from thudo.core.models import Agency
from thudo.procedures.models import Dossier, DossierFile

# What services.MEDIA_TYPES takes, for the browser's file picker.
ACCEPT = {
    "pdf": ".pdf",
    "jpg": ".jpg,.jpeg",
    "png": ".png",
    "docx": ".docx",
    "xlsx": ".xlsx",
}
# Up to this many options a choice is shown as radio buttons: all visible at once.
MAX_RADIOS = 5
RATING_LABELS = {
    1: _("Rất không hài lòng"),
    2: _("Không hài lòng"),
    3: _("Bình thường"),
    4: _("Hài lòng"),
    5: _("Rất hài lòng"),
}


def apply_error(
    form: forms.Form,
    exc: ApplicationError,
    *,
    aliases: Mapping[str, str] | None = None,
    fallback: bool = True,
) -> bool:
    """Show a service's error on the form: on the field it names (``aliases`` maps the
    service's names to the form's), once even if the form found it too; otherwise, with
    ``fallback``, above the form. Whether the error is on the form now."""
    placed = False
    for error in exc.field_errors:
        name = (aliases or {}).get(error.field, error.field)
        if name in form.fields:
            if error.message not in form.errors.get(name, []):
                form.add_error(name, error.message)
            placed = True
    if not placed and fallback:
        form.add_error(None, str(exc.message))
        return True
    return placed


def max_file_mb() -> int:
    return max(1, settings.PROCEDURES_MAX_FILE_BYTES // 2**20)


# --- the catalogue --------------------------------------------------------------------------


class SearchForm(forms.Form):
    """The catalogue's filters (GET): an invalid value is dropped, the list still shown."""

    q = forms.CharField(label=_("Tìm thủ tục"), max_length=200, required=False)
    sector = forms.ChoiceField(label=_("Lĩnh vực"), required=False)

    def __init__(self, data: Any = None, *, sectors: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        choices = [("", _("Tất cả lĩnh vực")), *((s, s) for s in sectors)]
        self.fields["sector"].choices = choices  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: str(data.get(name) or "") for name in ("q", "sector") if name not in self.errors
        }


def agency_label(agency: Agency) -> str:
    """A competent agency as citizens look for it: its name and where it belongs."""
    parent = agency.parent.name if agency.parent_id and agency.parent else ""
    return f"{agency.name} — {parent}" if parent else agency.name


class StartForm(forms.Form):
    agency = forms.ChoiceField(
        label=_("Cơ quan giải quyết"),
        help_text=_("Chọn nơi bạn muốn nộp hồ sơ, thường là nơi bạn cư trú."),
        error_messages={"required": _("Hãy chọn cơ quan giải quyết.")},
    )

    def __init__(self, *args: Any, agencies: Iterable[Agency] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [  # type: ignore[attr-defined]
            ("", _("— Chọn cơ quan —")),
            *((a.code, agency_label(a)) for a in agencies),
        ]
        self.fields["agency"].error_messages["invalid_choice"] = _(
            "Hãy chọn cơ quan giải quyết trong danh sách."
        )


# --- the declaration generated from the JSON Schema --------------------------------------------


def _label(name: str, spec: Mapping[str, Any]) -> str:
    return str(spec.get("title") or name.replace("_", " ").capitalize())


def schema_choices(spec: Mapping[str, Any]) -> list[tuple[Any, str]] | None:
    """The values a property may take, with their titles: ``oneOf`` of {const, title},
    or ``enum``."""
    options = spec.get("oneOf") or spec.get("anyOf")
    if options and all(isinstance(o, Mapping) and "const" in o for o in options):
        return [(o["const"], str(o.get("title", o["const"]))) for o in options]
    if "enum" in spec:
        return [(v, str(v)) for v in spec["enum"]]
    return None


def _kind(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _messages(label: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    t = {"t": label}
    return {
        "required": _("Hãy nhập %(t)s.") % t,
        "invalid": _("%(t)s không đúng định dạng.") % t,
        "max_length": _("%(t)s quá dài: tối đa %(n)s ký tự.") % {**t, "n": spec.get("maxLength")},
        "min_length": _("%(t)s quá ngắn: ít nhất %(n)s ký tự.") % {**t, "n": spec.get("minLength")},
        "min_value": _("%(t)s phải từ %(n)s trở lên.") % {**t, "n": spec.get("minimum")},
        "max_value": _("%(t)s không được lớn hơn %(n)s.") % {**t, "n": spec.get("maximum")},
        "invalid_choice": _("Hãy chọn %(t)s trong danh sách.") % t,
        "max_digits": _("%(t)s quá dài.") % t,
        "max_decimal_places": _("%(t)s có quá nhiều chữ số thập phân.") % t,
        "max_whole_digits": _("%(t)s quá dài.") % t,
    }


def schema_field(name: str, spec: Mapping[str, Any], required: bool) -> forms.Field:
    """One form field for one property of the schema."""
    label = _label(name, spec)
    messages = _messages(label, spec)
    common: dict[str, Any] = {
        "label": label,
        "help_text": str(spec.get("description", "")),
        "required": required,
        "error_messages": messages,
    }
    choices = schema_choices(spec)
    kind = _kind(spec)
    if choices is not None:
        messages["required"] = _("Hãy chọn %(t)s.") % {"t": label}
        options = [(str(v), t) for v, t in choices]
        if len(options) <= MAX_RADIOS:
            return forms.ChoiceField(choices=options, widget=forms.RadioSelect, **common)
        return forms.ChoiceField(choices=[("", _("— Chọn —")), *options], **common)
    if kind == "boolean":
        # A box the applicant must tick only when the schema wants it true.
        messages["required"] = _("Hãy đánh dấu xác nhận: %(t)s.") % {"t": label}
        return forms.BooleanField(**{**common, "required": required and spec.get("const") is True})
    if kind == "integer":
        return forms.IntegerField(
            min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common
        )
    if kind == "number":
        return forms.DecimalField(
            min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common
        )
    if spec.get("format") == "date":
        messages["required"] = _("Hãy nhập %(t)s.") % {"t": label}
        messages["invalid"] = _("%(t)s không đúng: hãy nhập ngày, tháng, năm.") % {"t": label}
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            input_formats=["%Y-%m-%d", "%d/%m/%Y"],
            **common,
        )
    validators = []
    attrs: dict[str, str] = {}
    if spec.get("pattern"):
        validators.append(RegexValidator(spec["pattern"], messages["invalid"], code="pattern"))
        if spec["pattern"] in ("^[0-9]{12}$", r"^\d{12}$"):
            attrs = {"inputmode": "numeric", "autocomplete": "off"}
    if spec.get("format") == "email":
        return forms.EmailField(max_length=spec.get("maxLength"), **common)
    long = (spec.get("maxLength") or 0) > 255
    return forms.CharField(
        max_length=spec.get("maxLength"),
        min_length=spec.get("minLength"),
        validators=validators,
        widget=forms.Textarea(attrs={"rows": 3}) if long else forms.TextInput(attrs=attrs),
        **common,
    )


def _as_post(spec: Mapping[str, Any], value: Any) -> Any:
    """A saved value as the browser would send it back."""
    if isinstance(value, bool):
        return "on" if value else None
    return str(value)


def saved_data(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The saved declaration as form data, to show it again with the submit's errors."""
    properties = schema.get("properties") or {}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in properties and value is not None:
            posted = _as_post(properties[name], value)
            if posted is not None:
                out[name] = posted
    return out


@dataclass
class ComponentRow:
    """A component of the dossier as the draft page shows it."""

    spec: dict[str, Any]
    upload: forms.BoundField | None = None
    wallet: forms.BoundField | None = None
    files: list[DossierFile] = field(default_factory=list)

    @property
    def code(self) -> str:
        return str(self.spec["code"])

    @property
    def source(self) -> str:
        return str(self.spec.get("source", "upload"))

    @property
    def anchor(self) -> str:
        bound = self.upload or self.wallet
        return bound.id_for_label if bound is not None else f"component-{self.code}"


def file_name(code: str) -> str:
    return f"file_{code}"


def wallet_name(code: str) -> str:
    return f"wallet_{code}"


class UploadField(forms.FileField):
    """One component's file: its size checked before anything reads it. Never required
    here: a missing required component is the service's to say when the dossier is
    submitted, so that a draft can be saved before every file is at hand."""

    def __init__(
        self, *, formats: Iterable[str], schema_required: bool = False, **kwargs: Any
    ) -> None:
        self.schema_required = schema_required
        kwargs["required"] = False
        formats = list(formats) or ["pdf"]
        kwargs.setdefault(
            "widget",
            forms.ClearableFileInput(
                attrs={"accept": ",".join(ACCEPT.get(f, f".{f}") for f in formats)}
            ),
        )
        kwargs.setdefault(
            "help_text",
            _("Định dạng %(f)s, tối đa %(n)s MB.")
            % {"f": ", ".join(f.upper() for f in formats), "n": max_file_mb()},
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> UploadedFile | None:
        value = super().clean(data, initial)
        if value and value.size is not None and value.size > settings.PROCEDURES_MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("Tệp lớn hơn %(n)s MB.") % {"n": max_file_mb()}, code="too_large"
            )
        if value is not None and value.size == 0:
            raise forms.ValidationError(_("Tệp rỗng."), code="empty")
        return value or None


def wallet_choices(wallet: Iterable[Dossier]) -> list[tuple[str, str]]:
    return [
        (
            str(d.code),
            f"{d.version.procedure.name} — {d.code}"
            + (f" ({d.returned_at:%d/%m/%Y})" if d.returned_at else ""),
        )
        for d in wallet
    ]


class DossierForm(forms.Form):
    """The declaration (one field per schema property, in the schema's order), then one
    upload per component the applicant provides and a wallet pick where allowed.

    ``partial``: a draft being saved; required fields may stay empty."""

    def __init__(
        self,
        *args: Any,
        dossier: Dossier,
        wallet: Iterable[Dossier] = (),
        partial: bool = False,
        components: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.partial = partial
        self.schema: dict[str, Any] = dict(dossier.version.form_schema or {})
        required = set(self.schema.get("required", []))
        self.property_names: list[str] = []
        for name, spec in (self.schema.get("properties") or {}).items():
            if isinstance(spec, Mapping):
                self.fields[name] = schema_field(name, spec, name in required)
                self.property_names.append(name)
        offered = wallet_choices(wallet)
        self.components: list[dict[str, Any]] = [
            dict(c)
            for c in dossier.version.components
            if components is None or c["code"] in components
        ]
        for spec in self.components:
            source = spec.get("source", "upload")
            if source not in ("upload", "wallet"):
                continue
            self.fields[file_name(spec["code"])] = UploadField(
                label=str(spec["name"]),
                formats=spec.get("formats") or ["pdf"],
                # Shown as required whether uploaded or taken from the wallet.
                schema_required=bool(spec.get("required")),
            )
            if source == "wallet":
                self.fields[wallet_name(spec["code"])] = forms.ChoiceField(
                    label=_("Dùng kết quả trong kho dữ liệu cho: %(n)s") % {"n": spec["name"]},
                    required=False,
                    choices=[("", _("— Không dùng —")), *offered],
                    error_messages={
                        "invalid_choice": _("Hãy chọn một kết quả có trong kho dữ liệu.")
                    },
                    help_text="" if offered else _("Kho dữ liệu của bạn chưa có kết quả nào."),
                )

    def full_clean(self) -> None:
        if not self.partial:
            super().full_clean()
            return
        required = [n for n in self.property_names if self.fields[n].required]
        for name in required:
            self.fields[name].required = False
        try:
            super().full_clean()
        finally:
            for name in required:
                self.fields[name].required = True

    # --- what the page shows -----------------------------------------------------------------

    def schema_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.property_names]

    def component_rows(self, files: Iterable[DossierFile] = ()) -> list[ComponentRow]:
        by_code: dict[str, list[DossierFile]] = {}
        for f in files:
            by_code.setdefault(f.component, []).append(f)
        rows = []
        for spec in self.components:
            code = spec["code"]
            rows.append(
                ComponentRow(
                    spec=spec,
                    upload=self[file_name(code)] if file_name(code) in self.fields else None,
                    wallet=self[wallet_name(code)] if wallet_name(code) in self.fields else None,
                    files=by_code.get(code, []),
                )
            )
        return rows

    def aliases(self) -> dict[str, str]:
        """The services' names of components (``component.<code>``) as this form's."""
        out = {}
        for spec in self.components:
            code = spec["code"]
            if file_name(code) in self.fields:
                out[f"component.{code}"] = file_name(code)
        return out

    # --- what the services get ---------------------------------------------------------------

    def data_for_schema(self) -> dict[str, Any]:
        """The declaration as the schema expects it: ISO dates, the choices' own values,
        numbers as numbers; empty optional values left out."""
        properties = self.schema.get("properties") or {}
        out: dict[str, Any] = {}
        for name in self.property_names:
            value = self.cleaned_data.get(name)
            if value is None or value == "":
                continue
            spec = properties[name]
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = int(value) if value == value.to_integral_value() else float(value)
            else:
                choices = schema_choices(spec)
                if choices is not None:
                    value = next((v for v, _t in choices if str(v) == value), value)
            out[name] = value
        return out

    def uploads(self) -> Iterator[tuple[str, UploadedFile]]:
        for spec in self.components:
            upload = self.cleaned_data.get(file_name(spec["code"]))
            if upload:
                yield spec["code"], upload

    def wallet_picks(self) -> Iterator[tuple[str, str]]:
        for spec in self.components:
            picked = self.cleaned_data.get(wallet_name(spec["code"]))
            if picked:
                yield spec["code"], str(picked)


# --- the dossier's page ----------------------------------------------------------------------


class SupplyForm(DossierForm):
    """Answering a request for a supplement: new files for the components and a note.
    The declaration itself is not changed any more."""

    note = forms.CharField(
        label=_("Ghi chú gửi cơ quan giải quyết"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Ghi chú quá dài: tối đa 4000 ký tự.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)
        for name in self.property_names:
            del self.fields[name]
        self.property_names = []
        note = self.fields.pop("note")
        self.fields["note"] = note  # after the uploads


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do rút hồ sơ"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Lý do quá dài: tối đa 4000 ký tự.")},
    )
    confirm = forms.BooleanField(
        label=_("Tôi muốn rút hồ sơ này; hồ sơ sẽ không được giải quyết tiếp."),
        error_messages={"required": _("Hãy đánh dấu xác nhận rút hồ sơ.")},
    )


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Mức độ hài lòng"),
        coerce=int,
        choices=[(n, f"{n} — {label}") for n, label in RATING_LABELS.items()],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Hãy chọn mức đánh giá từ 1 đến 5."),
            "invalid_choice": _("Hãy chọn mức đánh giá từ 1 đến 5."),
        },
    )
    comment = forms.CharField(
        label=_("Góp ý"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Góp ý quá dài: tối đa 2000 ký tự.")},
    )
