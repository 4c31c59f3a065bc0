"""Builds the demo city through the modules' facades (see city.py for what it contains)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command

from thudo.core import facade as core
from thudo.demo import city
from thudo.documents import facade as documents
from thudo.dti import facade as dti
from thudo.eidsim import facade as eidsim
from thudo.exchange import facade as exchange
from thudo.opendata import facade as opendata
from thudo.procedures import facade as procedures
from thudo.registries import contracts as registry_contracts
from thudo.registries import facade as registries
from thudo.reporting import facade as reporting
from thudo.signing import facade as signing

Say = Callable[[str], None]


def _password() -> str:
    # Readable but strong enough for a demo: 4 groups of 4 characters.
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@dataclass
class Credentials:
    base_url: str
    eid_issuer: str
    staff: list[dict[str, str]] = field(default_factory=list)
    citizens: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "base_url": self.base_url,
            "eid_issuer": self.eid_issuer,
            "staff": self.staff,
            "citizens": self.citizens,
        }


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / "demo" / "credentials.json"


def _previous() -> dict[str, Any]:
    path = credentials_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def build(*, base_url: str, say: Say) -> Credentials:
    previous = _previous()
    level1 = settings.THUDO_PROVINCE_AGENCY_CODE
    province = settings.THUDO_PROVINCE_CODE

    say("1/11 Administrative units (vietnam-provinces)…")
    call_command("units", "import", verbosity=0)

    say("2/11 Agencies: People's Committee, departments, service centre, communes…")
    city_code = city.agency_code("000", "00", "00", level1=level1)
    created = 0
    if not core.agency_exists(code=city_code):
        core.agency_create(
            code=city_code,
            name=city.CITY_PC,
            kind="provincial_committee",
            unit_code=province,
            short_name="UBND TP",
        )
        created += 1
    codes: dict[str, str] = {"city": city_code}
    for number, name, short in [*city.DEPARTMENTS, city.SERVICE_CENTRE]:
        code = city.agency_code("000", "00", number, level1=level1)
        key = "centre" if (number, name, short) == city.SERVICE_CENTRE else number
        codes[key] = code
        if not core.agency_exists(code=code):
            kind = "service_centre" if key == "centre" else "department"
            core.agency_create(
                code=code,
                name=name,
                kind=kind,
                unit_code=province,
                parent_code=city_code,
                short_name=short,
            )
            created += 1
    communes = core.units_in_force(parent_code=province, level="commune")
    for index, commune in enumerate(communes, start=1):
        code = city.commune_code(index, level1)
        codes[f"commune:{index}"] = code
        if not core.agency_exists(code=code):
            core.agency_create(
                code=code,
                name=f"Ủy ban nhân dân {commune.name}",
                kind="commune_committee",
                unit_code=commune.code,
                parent_code=city_code,
            )
            created += 1
    say(f"    {len(codes)} agencies ({created} new)")

    say("3/11 Staff accounts…")
    old_staff = {s.get("username"): s for s in previous.get("staff", []) if isinstance(s, dict)}
    staff = []
    for seat in city.STAFF:
        agency_code = codes[seat.agency]
        password = old_staff.get(seat.username, {}).get("password") or _password()
        core.official_provision(
            agency_code=agency_code,
            username=seat.username,
            full_name=seat.full_name,
            role=seat.role,
            title=seat.title,
            password=password,
        )
        staff.append(
            {
                "username": seat.username,
                "password": password,
                "agency_code": agency_code,
                "role": seat.role,
                "full_name": seat.full_name,
            }
        )

    say(f"4/11 Synthetic population ({city.POPULATION_SIZE} people)…")
    call_command(
        "population",
        "generate",
        "--size",
        str(city.POPULATION_SIZE),
        "--seed",
        str(city.POPULATION_SEED),
        "--province",
        province,
        "--no-progress",
        verbosity=0,
    )

    say("5/11 National eID simulator: the platform as client, citizens' accounts…")
    eidsim.client_upsert(
        client_id=settings.EID_CLIENT_ID,
        client_secret=settings.EID_CLIENT_SECRET,
        redirect_uris=[f"{base}/identity/eid/callback/" for base in _bases(base_url)],
        post_logout_redirect_uris=[f"{base}/" for base in _bases(base_url)],
    )
    old_citizens = {
        c.get("personal_id"): c for c in previous.get("citizens", []) if isinstance(c, dict)
    }
    citizens = []
    applicants = []
    for person in registries.people_sample(
        n=city.DEMO_CITIZENS, seed=city.POPULATION_SEED, province_code=province
    ):
        password = old_citizens.get(person.personal_id, {}).get("password") or _password()
        eidsim.account_upsert(
            personal_id=person.personal_id,
            full_name=person.full_name,
            birth_date=person.birth_date,
            gender=person.sex,
            loa=2,
            password=password,
        )
        citizens.append(
            {"personal_id": person.personal_id, "password": password, "full_name": person.full_name}
        )
        applicants.append(
            {
                "personal_id": person.personal_id,
                "full_name": person.full_name,
                "birth_date": person.birth_date,
                "gender": person.sex,
            }
        )

    say("6/11 Data exchange (LGSP): national databases, member systems, grants…")
    extra = {
        k: v
        for k, v in previous.items()
        if k not in {"base_url", "eid_issuer", "staff", "citizens"}
    }
    extra.update(
        _exchange(
            base_url=base_url,
            codes=codes,
            province=province,
            citizen=citizens[0]["personal_id"],
            previous=previous,
        )
    )
    say("7/11 Digital signatures (PKI, seals, leaders' certificates) and documents…")
    extra["signing"] = _signing(base_url=base_url, codes=codes, previous=previous)
    extra["documents"] = _documents(base_url=base_url, codes=codes)
    say("8/11 Public services: the procedure catalogue, example dossiers…")
    extra["procedures"] = _procedures(
        base_url=base_url, codes=codes, applicants=applicants[1:], signing_info=extra["signing"]
    )

    say("9/11 Reporting: Hanoi's forms and indicators, two years of figures, approvals…")
    extra["reporting"] = {
        "worklist": f"{base_url}/bao-cao/",
        "analytics": f"{base_url}/bao-cao/phan-tich/",
        **reporting.demo_build(codes=codes, say=say, officials=city.REPORTING_OFFICIALS),
    }
    say("10/11 Digital-transformation index: frameworks, last year's results, this year's rounds…")
    extra["dti"] = {
        k: (f"{base_url}{v}" if k in ("index", "public") else v)
        for k, v in dti.demo_build(codes=codes, say=say, officials=city.DTI).items()
    }
    say("11/11 Open data: themes, datasets with their tables, the Decree 47 list, indicators…")
    extra["opendata"] = {
        k: (f"{base_url}{v}" if isinstance(v, str) and v.startswith("/") else v)
        for k, v in opendata.demo_build(
            codes=codes, say=say, officials=city.OPENDATA, base_url=base_url
        ).items()
    }

    credentials = Credentials(
        base_url=base_url, eid_issuer=f"{base_url}/eid", staff=staff, citizens=citizens, extra=extra
    )
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials.as_json(), ensure_ascii=False, indent=2) + "\n")
    path.chmod(0o600)
    return credentials


def _exchange(
    *,
    base_url: str,
    codes: dict[str, str],
    province: str,
    citizen: str,
    previous: dict[str, Any],
) -> dict[str, Any]:
    """The national databases and the Government reporting system as provider systems
    with their services in the catalogue, the platform's own system, and the demo's
    consumer systems (one granted the population service, one with no grant) with their
    credentials."""
    providers: dict[str, str] = {}
    documents = {
        "population": registries.population_openapi(),
        "business": registries.business_openapi(),
        "govreport": registries.govreport_openapi(),
    }
    settings_of = {
        "population": settings.REGISTRIES_POPULATION_SYSTEM,
        "business": settings.REGISTRIES_BUSINESS_SYSTEM,
        "govreport": settings.REGISTRIES_GOVREPORT_SYSTEM,
    }
    codes_of = {
        "population": registry_contracts.POPULATION_SERVICE,
        "business": registry_contracts.BUSINESS_SERVICE,
        "govreport": registry_contracts.GOVREPORT_SERVICE,
    }
    paths = registries.provider_paths()
    for service in city.PROVIDER_SERVICES:
        identifier = settings_of[service.key]
        _vn, member_class, agency_code, system_code = identifier.split("/")
        name, short = city.CENTRAL_AGENCIES[service.key]
        if not core.agency_exists(code=agency_code):
            # Central agencies serve the whole country; the demo holds only Hà Nội's units.
            core.agency_create(
                code=agency_code,
                name=name,
                kind="central_agency",
                unit_code=province,
                short_name=short,
            )
        exchange.system_provision(
            agency_code=agency_code,
            code=system_code,
            name=str(documents[service.key]["info"]["title"]),
            member_class=member_class,
            need_secret=False,
        )
        code = codes_of[service.key]
        exchange.service_provision(
            provider=identifier,
            code=code,
            name=service.name,
            description=service.description,
            upstream_url=f"{base_url}{paths[identifier]}",
            openapi_document=documents[service.key],
            classification=service.classification,
            legal_basis=service.legal_basis,
            owner=service.owner,
        )
        providers[service.key] = f"{identifier}/{code}"

    # The platform's own system, with the secret the deployment keeps for it.
    _vn, member_class, agency_code, system_code = settings.EXCHANGE_PLATFORM_SYSTEM.split("/")
    exchange.system_provision(
        agency_code=agency_code,
        code=system_code,
        name="Nền tảng Thủ Đô Số",
        member_class=member_class,
        need_secret=False,
    )
    exchange.system_secret_install(
        identifier=settings.EXCHANGE_PLATFORM_SYSTEM, secret=settings.EXCHANGE_PLATFORM_SECRET
    )
    _grants(
        settings.EXCHANGE_PLATFORM_SYSTEM,
        city.PLATFORM_GRANTS,
        providers,
        city.ONE_STOP_PURPOSE,
        city.ONE_STOP_BASIS,
    )
    _grants(
        settings.EXCHANGE_PLATFORM_SYSTEM,
        city.PLATFORM_REPORTING_GRANTS,
        providers,
        city.REPORTING_PURPOSE,
        city.REPORTING_BASIS,
    )

    known = {
        c.get("system"): c.get("client_secret", "")
        for c in previous.get("exchange_clients", [])
        if isinstance(c, dict)
    }
    clients = []
    for consumer in city.DEMO_CONSUMERS:
        agency_code = codes[consumer.agency]
        identifier = f"VN/GOV/{agency_code}/{consumer.code}"
        created = exchange.system_provision(
            agency_code=agency_code,
            code=consumer.code,
            name=consumer.name,
            known_secret=str(known.get(identifier) or ""),
        )
        _grants(identifier, consumer.grants, providers, consumer.purpose, consumer.legal_basis)
        clients.append(
            {
                "system": created.system,
                "client_id": created.client_id,
                "client_secret": created.secret,
                "granted": [providers[key] for key, _ops in consumer.grants],
                "example_path": f"/x/{providers['population']}/people/{citizen}",
                "example_headers": {
                    "X-Purpose": quote(city.ONE_STOP_PURPOSE),
                    "X-Data-Subject": citizen,
                },
            }
        )
    return {
        "exchange": {
            "token_url": f"{base_url}/oauth/token",
            "jwks_url": f"{base_url}/exchange/jwks.json",
            "catalog_url": f"{base_url}/exchange/catalog/",
        },
        "exchange_clients": clients,
    }


def _pin() -> str:
    """Six random digits that the PIN rules accept (no repeats, no runs)."""
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(6))
        if len(set(pin)) > 2 and pin not in "0123456789" and pin not in "9876543210":
            return pin


def _signing(*, base_url: str, codes: dict[str, str], previous: dict[str, Any]) -> dict[str, Any]:
    signing.provision_pki()
    for key in city.SEALED_AGENCIES:
        signing.provision_seal(agency_code=codes[key])
    known = {
        c.get("username"): c.get("pin", "")
        for c in previous.get("signing", {}).get("certificates", [])
        if isinstance(c, dict)
    }
    certificates = []
    for seat in city.STAFF:
        if seat.role != "leader":
            continue
        pin = str(known.get(seat.username) or _pin())
        serial = signing.provision_official(
            username=seat.username, agency_code=codes[seat.agency], pin=pin, title=seat.title
        )
        certificates.append(
            {
                "username": seat.username,
                "agency_code": codes[seat.agency],
                "serial": serial,
                "pin": pin,
            }
        )
    return {
        "certificates": certificates,
        "verify_url": f"{base_url}/signing/verify/",
        "counter_url": f"{base_url}/signing/counter/",
        "root_ca_url": f"{base_url}/signing/ca/root.crt",
    }


def _documents(*, base_url: str, codes: dict[str, str]) -> dict[str, Any]:
    documents.exchange_provision(base_url=base_url, agency_code=codes["city"])
    spec = city.DEMO_DECISION
    document_id = documents.draft_for_signing(
        agency_code=codes[str(spec["agency"])],
        drafter=str(spec["drafter"]),
        reviewer=str(spec["reviewer"]),
        signer=str(spec["signer"]),
        type_code=str(spec["type_code"]),
        summary=str(spec["summary"]),
        body=str(spec["body"]),
        recipients=[codes[key] for key in spec["recipients"]],
        authority=str(spec["authority"]),
        position=str(spec["position"]),
    )
    return {
        "url": f"{base_url}/documents/",
        "decision_to_sign": f"{base_url}/documents/{document_id}/",
        "signer": spec["signer"],
        "issuer_clerk": "motcua.phuong",
        "receiver_clerk": "vanthu.stp",
    }


def _procedures(
    *,
    base_url: str,
    codes: dict[str, str],
    applicants: list[dict[str, Any]],
    signing_info: dict[str, Any],
) -> dict[str, Any]:
    procedures.catalogue_load()
    commune = codes["commune:1"]
    leader = next(c for c in signing_info["certificates"] if c["username"] == "chutich.phuong")
    examples = procedures.demo_examples(
        agency_code=commune,
        applicants=applicants,
        clerk="motcua.phuong",
        specialist="chuyenvien.phuong",
        leader="chutich.phuong",
        serial=leader["serial"],
        pin=leader["pin"],
    )
    return {
        "portal": f"{base_url}/dich-vu-cong/",
        "console": f"{base_url}/mot-cua/",
        "service_index": f"{base_url}/mot-cua/chi-so-phuc-vu/",
        "marriage": f"{base_url}/dich-vu-cong/thu-tuc/1.000894/",
        "agency_code": commune,
        "clerk": "motcua.phuong",
        "specialist": "chuyenvien.phuong",
        "leader": "chutich.phuong",
        "examples": examples,
    }


def _grants(
    consumer: str,
    grants: tuple[tuple[str, tuple[str, ...]], ...],
    providers: dict[str, str],
    purpose: str,
    legal_basis: str,
) -> None:
    for key, operations in grants:
        provider, _slash, code = providers[key].rpartition("/")
        exchange.grant_provision(
            consumer=consumer,
            provider=provider,
            service_code=code,
            purpose=purpose,
            legal_basis=legal_basis,
            operations=operations,
        )


def _bases(base_url: str) -> list[str]:
    """The demo answers on 127.0.0.1 and localhost alike."""
    bases = [base_url]
    for a, b in (("127.0.0.1", "localhost"), ("localhost", "127.0.0.1")):
        if f"//{a}" in base_url:
            bases.append(base_url.replace(f"//{a}", f"//{b}"))
    return bases


def summary(credentials: Credentials) -> str:
    base = credentials.base_url
    lines = [
        "",
        "Thủ Đô Số — demo city of Hà Nội",
        f"  Home (citizens sign in with VNeID): {base}/",
        f"  Staff sign-in:                      {base}/accounts/login/",
        f"  API documentation:                  {base}/api/v1/docs",
        f"  eID simulator (issuer):             {credentials.eid_issuer}",
        f"  Configuration (platform admin):     {base}/admin/",
        "",
        "  Staff logins:",
    ]
    for s in credentials.staff:
        lines.append(f"    {s['username']:<22} {s['password']}  {s['role']:<15} {s['agency_code']}")
    lines.append("  Citizens (VNeID simulator: personal ID + password):")
    for c in credentials.citizens:
        lines.append(f"    {c['personal_id']}  {c['password']}  {c.get('full_name', '')}")
    clients = credentials.extra.get("exchange_clients", [])
    if clients:
        hub = credentials.extra.get("exchange", {})
        lines.append(f"  Data exchange (LGSP): catalogue {hub.get('catalog_url', '')}")
        lines.append(f"    token endpoint {hub.get('token_url', '')} (client credentials)")
        for c in clients:
            granted = ", ".join(c["granted"]) or "no grants"
            lines.append(f"    {c['client_id']}  {c['client_secret']}")
            lines.append(f"      {granted}")
        lines.append(f"    try: GET {base}{clients[0]['example_path']}")
    signing_info = credentials.extra.get("signing", {})
    if signing_info:
        lines.append("  Digital signatures: leaders' signing PINs (chữ ký số)")
        for c in signing_info.get("certificates", []):
            lines.append(f"    {c['username']:<22} PIN {c['pin']}")
        lines.append(f"    verify any signed PDF: {signing_info.get('verify_url', '')}")
    procedures_info = credentials.extra.get("procedures", {})
    if procedures_info:
        lines.append(
            f"  Public services: citizens file at {procedures_info['portal']}; "
            f"{procedures_info['clerk']}, {procedures_info['specialist']} and "
            f"{procedures_info['leader']} work them at {procedures_info['console']}; "
            f"service index at {procedures_info['service_index']}"
        )
    documents_info = credentials.extra.get("documents", {})
    if documents_info:
        lines.append(
            f"  Documents: {documents_info['signer']} signs {documents_info['decision_to_sign']}, "
            f"{documents_info['issuer_clerk']} issues it, {documents_info['receiver_clerk']} "
            "receives it"
        )
    reporting_info = credentials.extra.get("reporting", {})
    main_path = reporting_info.get("main_path", {})
    if main_path:
        lines.append(
            f"  Reporting: {main_path['fill']['user']} fills {main_path['form']} for "
            f"{main_path['fill']['period']} at {reporting_info['worklist']}, "
            f"{main_path['approve_unit']['user']} approves it, "
            f"{main_path['approve_total']['user']} approves the city's total; analytics at "
            f"{reporting_info['analytics']}"
        )
    dti_info = credentials.extra.get("dti", {})
    if dti_info:
        lines.append(
            f"  Digital-transformation index: rounds at {dti_info['index']} (the council of 13, "
            f"chaired by {dti_info['council_chair']}); published results at {dti_info['public']}"
        )
    opendata_info = credentials.extra.get("opendata", {})
    if opendata_info:
        lines.append(
            f"  Open data: portal at {opendata_info['portal']}, CKAN API "
            f"{opendata_info['api']}, DCAT {opendata_info['catalog']}; "
            f"{opendata_info['publisher']} publishes at {opendata_info['manage']}"
        )
    lines.append(f"  Saved to {credentials_path()}")
    return "\n".join(lines)
