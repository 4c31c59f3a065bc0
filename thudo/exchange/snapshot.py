"""The control plane as the gateway sees it: loaded at once, reloaded on change."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from thudo.exchange.contracts import ConfigSnapshot, GrantInfo, Operation, ServiceInfo, SystemInfo
from thudo.exchange.models import AccessGrant, ConfigVersion, MemberSystem, Service


def current_version() -> int:
    row = ConfigVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row or 0)


def bump_version() -> None:
    """Call inside the transaction of any change the gateway must see."""
    updated = ConfigVersion.objects.filter(pk=1).update(
        version=F("version") + 1, changed_at=timezone.now()
    )
    if not updated:
        ConfigVersion.objects.create(pk=1, version=1)


def load() -> ConfigSnapshot:
    version = current_version()
    systems = {
        s.identifier: SystemInfo(
            identifier=s.identifier,
            agency_code=s.agency.code,
            agency_name=s.agency.name,
            name=s.name,
            active=s.is_active and s.revoked_at is None,
            tokens_valid_after=s.tokens_valid_after,
        )
        for s in MemberSystem.objects.select_related("agency")
    }
    services = {
        (s.provider.identifier, s.code): ServiceInfo(
            id=s.pk,
            provider=s.provider.identifier,
            code=s.code,
            version=s.version,
            name=s.name,
            upstream_url=s.upstream_url.rstrip("/"),
            classification=s.classification,
            personal=s.personal,
            active=s.is_active,
        )
        for s in Service.objects.select_related("provider")
    }
    grants: dict[tuple[str, int], list[GrantInfo]] = {}
    approved = AccessGrant.objects.filter(status=AccessGrant.Status.APPROVED).select_related(
        "consumer"
    )
    for g in approved:
        operations = tuple(
            Operation.of(op.get("method", "*"), op.get("path", "/")) for op in g.operations or ()
        )
        grants.setdefault((g.consumer.identifier, g.service_id), []).append(
            GrantInfo(
                id=g.pk,
                consumer=g.consumer.identifier,
                service_id=g.service_id,
                operations=operations,
                valid_from=g.valid_from,
                valid_until=g.valid_until,
            )
        )
    return ConfigSnapshot(
        version=version,
        systems=systems,
        services=services,
        grants={k: tuple(v) for k, v in grants.items()},
    )
