"""Configuration screens only; daily work happens on the platform's own pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from thudo.core.models import AdministrativeUnit, Agency, AuditEvent, CalendarOverride, User


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level", "kind")
    search_fields = ("code", "name", "search_name")
    raw_id_fields = ("parent",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "unit", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "search_name")
    raw_id_fields = ("parent", "unit")


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "legal_basis")
    list_filter = ("kind",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "kind", "is_active", "last_login")
    list_filter = ("kind", "is_active")
    search_fields = ("username", "full_name", "personal_id")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Thủ Đô Số",
            {
                "fields": (
                    "kind",
                    "full_name",
                    "personal_id",
                    "birth_date",
                    "gender",
                    "eid_loa",
                    "must_change_password",
                )
            },
        ),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("seq", "occurred_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("object_id", "actor_label", "data_subject")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
