"""Forms of the kernel's pages. They validate shape; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from thudo.core.models import Role


class OtpForm(forms.Form):
    token = forms.CharField(
        label=_("Mã xác thực 6 số"),
        max_length=8,
        min_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Mật khẩu hiện tại"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("Mật khẩu mới"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Ít nhất 10 ký tự, không quá giống tên đăng nhập, không chỉ gồm chữ số."),
    )
    new_password_again = forms.CharField(
        label=_("Nhập lại mật khẩu mới"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("Hai lần nhập mật khẩu mới không khớp."))
        return data


def _role_choices(allow_platform_admin: bool) -> list[tuple[str, Any]]:
    return [
        (value, label)
        for value, label in Role.choices
        if allow_platform_admin or value != Role.PLATFORM_ADMIN
    ]


class OfficialCreateForm(forms.Form):
    username = forms.CharField(label=_("Tên đăng nhập"), max_length=150)
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    role = forms.ChoiceField(label=_("Vai trò"))
    title = forms.CharField(label=_("Chức vụ"), max_length=100, required=False)

    def __init__(self, *args: Any, allow_platform_admin: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(allow_platform_admin)  # type: ignore[attr-defined]


class RoleGrantForm(forms.Form):
    username = forms.CharField(label=_("Tên đăng nhập của cán bộ"), max_length=150)
    role = forms.ChoiceField(label=_("Vai trò"))
    title = forms.CharField(label=_("Chức vụ"), max_length=100, required=False)

    def __init__(self, *args: Any, allow_platform_admin: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(allow_platform_admin)  # type: ignore[attr-defined]


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Tên khóa (dùng cho hệ thống nào)"), max_length=100)
    expires_in_days = forms.IntegerField(
        label=_("Hiệu lực (ngày)"), min_value=1, max_value=366, initial=90
    )
