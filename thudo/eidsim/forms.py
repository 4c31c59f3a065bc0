"""Forms of the simulator's pages. They check shape; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    personal_id = forms.CharField(
        label=_("Số định danh cá nhân"),
        max_length=12,
        min_length=12,
        help_text=_("12 chữ số in trên thẻ căn cước."),
        error_messages={
            "required": _("Nhập số định danh cá nhân."),
            "min_length": _("Số định danh cá nhân phải gồm đúng 12 chữ số."),
            "max_length": _("Số định danh cá nhân phải gồm đúng 12 chữ số."),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "inputmode": "numeric",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    password = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        error_messages={"required": _("Nhập mật khẩu.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_personal_id(self) -> str:
        value: str = self.cleaned_data["personal_id"].strip()
        if not value.isdigit():
            raise forms.ValidationError(_("Số định danh cá nhân phải gồm đúng 12 chữ số."))
        return value
