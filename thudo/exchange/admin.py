"""Configuration screens of the exchange hub: read-only.

Every change to systems, services and grants goes through the services (permission check,
audit, configuration version for the gateway), i.e. through the hub's own pages, API and
``thudo exchange`` command; the admin only shows what is there.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib import admin
from django.http import HttpRequest

from thudo.core.rules import is_platform_admin
from thudo.exchange.models import AccessGrant, MemberSystem, Service

for _model in ("membersystem", "service", "accessgrant"):
    rules.add_perm(f"exchange.view_{_model}", is_platform_admin)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MemberSystem)
class MemberSystemAdmin(ReadOnlyAdmin):
    list_display = ("identifier", "name", "agency", "is_active", "secret_prefix", "created_at")
    list_filter = ("member_class", "is_active")
    search_fields = ("identifier", "name")
    exclude = ("secret_hash",)


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "provider", "classification", "version", "is_active")
    list_filter = ("classification", "is_active")
    search_fields = ("code", "name", "search_text")


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = ("pk", "consumer", "service", "status", "requested_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("consumer__identifier", "service__code", "purpose")
