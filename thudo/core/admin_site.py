"""The configuration screens (Django admin) belong to platform administrators."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class ThudoAdminSite(AdminSite):
    site_header = _("Thủ Đô Số — cấu hình")
    site_title = _("Cấu hình Thủ Đô Số")
    index_title = _("Cấu hình nền tảng")

    def has_permission(self, request: HttpRequest) -> bool:
        from thudo.core import rules as core_rules  # models are not ready at import time

        user = request.user
        return bool(user.is_active and (user.is_superuser or core_rules.is_platform_admin(user)))


class ThudoAdminConfig(AdminConfig):
    default_site = "thudo.core.admin_site.ThudoAdminSite"
