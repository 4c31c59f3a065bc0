"""Forms of the DTI pages. They check shape only; the services decide (numbers are read by
the services as people type them, the quorum is theirs to count). Their fields are
rendered by hand in the templates, so that each input carries its label, its error and
its ``aria-describedby``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError
from thudo.core.pages import apply_error

TEXT_MAX = 4000
NUMBER_MAX = 30


def evidence_limit() -> int:
    return int(getattr(settings, "DTI_MAX_EVIDENCE_BYTES", 10 * 2**20))


def show_error(
    form: forms.Form, exc: ApplicationError, *, aliases: dict[str, str] | None = None
) -> None:
    """A service's error on the form: on the fields it names and, when its message says
    more than the field's (the quorum: how many came, how many were needed), above it."""
    placed = apply_error(form, exc, aliases=aliases)
    messages = {e.message for e in exc.field_errors}
    if placed and exc.field_errors and str(exc.message) not in messages:
        form.add_error(None, str(exc.message))


# --- self-assessment ------------------------------------------------------------------------


class ScoreForm(forms.Form):
    """One sub-index as its row posts it: points (manual), or the value (yes/no, ratio,
    tiers), and the explanation."""

    points = forms.CharField(label=_("Điểm tự chấm"), max_length=NUMBER_MAX, required=False)
    value = forms.CharField(label=_("Giá trị kê khai"), max_length=NUMBER_MAX, required=False)
    explanation = forms.CharField(
        label=_("Giải trình"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EvidenceForm(forms.Form):
    """A file or a link: which one, and what the file is, the service checks."""

    file = forms.FileField(label=_("Tệp minh chứng"), required=False)
    url = forms.CharField(label=_("Hoặc đường dẫn"), max_length=500, required=False)

    def clean_file(self) -> UploadedFile | None:
        uploaded: UploadedFile | None = self.cleaned_data.get("file")
        limit = evidence_limit()
        if uploaded is not None and (uploaded.size or 0) > limit:
            # Refused before it is read into memory; the service has the same cap.
            raise forms.ValidationError(
                _("Tệp lớn hơn %(n)s MB.") % {"n": limit // 2**20}, code="too_large"
            )
        return uploaded


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do trả lại"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApproveForm(forms.Form):
    """Approval, signed when a certificate is chosen (with its PIN)."""

    serial = forms.ChoiceField(label=_("Ký số bằng chứng thư"), required=False)
    pin = forms.CharField(
        label=_("Mã PIN"),
        max_length=64,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, certificates: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", str(_("Không ký số")))]
        choices += [
            (c.serial, f"{c.holder_name} — {c.agency_name} ({c.serial})") for c in certificates
        ]
        self.fields["serial"].choices = choices  # type: ignore[attr-defined]


# --- the council ----------------------------------------------------------------------------


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Ý kiến"),
        choices=[("confirm", _("Xác nhận điểm")), ("adjust", _("Điều chỉnh điểm"))],
        required=False,
    )
    points = forms.CharField(label=_("Điểm đề xuất"), max_length=NUMBER_MAX, required=False)
    reason = forms.CharField(
        label=_("Lý do"), max_length=TEXT_MAX, required=False, widget=forms.Textarea
    )


def points_field(pk: int) -> str:
    return f"points_{pk}"


class CouncilForm(forms.Form):
    """The council's conclusion (stage 1) or its answer to an appeal (stage 2): who took
    part, who agreed, the final points of each sub-index in question, a note."""

    participants = forms.MultipleChoiceField(
        label=_("Thành viên tham dự"), required=False, widget=forms.CheckboxSelectMultiple
    )
    agreed = forms.MultipleChoiceField(
        label=_("Thành viên nhất trí"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Ghi chú của Hội đồng"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        members: Iterable[tuple[int, str]] = (),
        lines: Iterable[tuple[int, str, str]] = (),
        appeal: bool = False,
        **kwargs: Any,
    ) -> None:
        """``members``: (id, label); ``lines``: (node id, code, prefilled points)."""
        super().__init__(*args, **kwargs)
        choices = [(str(pk), text) for pk, text in members]
        self.fields["participants"].choices = choices  # type: ignore[attr-defined]
        self.fields["agreed"].choices = choices  # type: ignore[attr-defined]
        if appeal:
            self.fields["note"].label = _("Kết quả xem xét kiến nghị")
        self.codes: dict[str, str] = {}
        for pk, code, initial in lines:
            name = points_field(pk)
            self.fields[name] = forms.CharField(
                label=_("Điểm kết luận chỉ số %(c)s") % {"c": code},
                max_length=NUMBER_MAX,
                required=False,
                initial=initial,
            )
            self.codes[name] = code

    def points(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(name) or "" for name, code in self.codes.items()}

    def ids(self, name: str) -> list[int]:
        return [int(v) for v in self.cleaned_data.get(name) or []]

    def aliases(self) -> dict[str, str]:
        """The services' ``points.<code>`` named as this form's fields."""
        found = {f"points.{code}": name for name, code in self.codes.items()}
        found["resolution"] = "note"
        return found


class AppealForm(forms.Form):
    codes = forms.MultipleChoiceField(
        label=_("Chỉ số đề nghị xem xét lại"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Nội dung kiến nghị"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, codes: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["codes"].choices = list(codes)  # type: ignore[attr-defined]
