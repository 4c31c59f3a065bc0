"""What the provider systems answer: the bodies of the population and business APIs, and
what the Government reporting system takes and answers.

Lookups answer with one of the three statuses of Circular 13: ``found`` (with the
record), ``not_found`` and ``not_permitted`` (the record exists but may not be disclosed).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict
from pydantic_core import PydanticCustomError

from thudo.core.identifiers import IdentifierError, check_agency_code
from thudo.registries import business_data
from thudo.registries.models import Business, Person

Relation = Literal["head", "spouse", "child", "parent", "other"]
Sex = Literal["male", "female"]
BusinessKind = Literal["llc_one", "llc_multi", "joint_stock", "private", "household"]
BusinessStatus = Literal["active", "suspended", "dissolved"]


class NotFoundOut(Schema):
    status: Literal["not_found"] = "not_found"


class NotPermittedOut(Schema):
    status: Literal["not_permitted"] = "not_permitted"


# --- population ------------------------------------------------------------------------


class AddressOut(Schema):
    line: str = Field(description="Số nhà, đường phố, thôn xóm (address within the commune)")
    commune_code: str = Field(description="GSO code of the commune (xã, phường)")
    commune_name: str
    province_code: str


class MemberOut(Schema):
    personal_id: str
    full_name: str
    relation_to_head: Relation
    birth_date: date


class HouseholdRefOut(Schema):
    code: str
    relation_to_head: Relation


class HouseholdOut(HouseholdRefOut):
    members: list[MemberOut] = Field(
        description="Members that may be disclosed, the person included, head first"
    )


class PersonBase(Schema):
    personal_id: str
    full_name: str
    family_name: str
    middle_name: str
    given_name: str
    birth_date: date
    sex: Sex
    permanent_address: AddressOut


class PersonOut(PersonBase):
    household: HouseholdOut


class PersonRecordOut(PersonBase):
    household: HouseholdRefOut


class PersonFoundOut(Schema):
    status: Literal["found"] = "found"
    person: PersonOut


class PersonShortOut(Schema):
    personal_id: str
    full_name: str
    birth_date: date
    sex: Sex
    commune_code: str
    commune_name: str


class PeopleFoundOut(Schema):
    status: Literal["found"] = "found"
    people: list[PersonShortOut]


class PersonChangedOut(Schema):
    personal_id: str
    status: Literal["found"] = "found"
    updated_at: datetime
    person: PersonRecordOut


class PersonWithheldOut(Schema):
    personal_id: str
    status: Literal["not_permitted"] = "not_permitted"


NEXT_CURSOR = (
    "Where the next page starts; keep it to ask again later for what changed after this "
    "page. Null only when nothing was found and no cursor was given."
)
HAS_MORE = "More changes are waiting now: ask again with next_cursor"


class PersonChangesOut(Schema):
    changes: list[Annotated[PersonChangedOut | PersonWithheldOut, Field(discriminator="status")]]
    next_cursor: str | None = Field(description=NEXT_CURSOR)
    has_more: bool = Field(description=HAS_MORE)


# --- businesses ------------------------------------------------------------------------


class BusinessLineOut(Schema):
    code: str = Field(description="VSIC 2018 level-4 code")
    name: str
    main: bool


class RepresentativeOut(Schema):
    personal_id: str
    full_name: str


class BusinessOut(Schema):
    tax_code: str
    name: str
    kind: BusinessKind
    kind_name: str
    status: BusinessStatus
    status_name: str
    registered_on: date
    head_office: AddressOut
    legal_representative: RepresentativeOut
    business_lines: list[BusinessLineOut]


class BusinessFoundOut(Schema):
    status: Literal["found"] = "found"
    business: BusinessOut


class BusinessChangedOut(Schema):
    tax_code: str
    status: Literal["found"] = "found"
    updated_at: datetime
    business: BusinessOut


class BusinessWithheldOut(Schema):
    tax_code: str
    status: Literal["not_permitted"] = "not_permitted"


class BusinessChangesOut(Schema):
    changes: list[
        Annotated[BusinessChangedOut | BusinessWithheldOut, Field(discriminator="status")]
    ]
    next_cursor: str | None = Field(description=NEXT_CURSOR)
    has_more: bool = Field(description=HAS_MORE)


# --- from rows to bodies ---------------------------------------------------------------


def _address(line: str, commune: Any, province_code: str) -> dict[str, Any]:
    return {
        "line": line,
        "commune_code": commune.code,
        "commune_name": commune.name,
        "province_code": province_code,
    }


def _person_base(person: Person) -> dict[str, Any]:
    household = person.household
    return {
        "personal_id": person.personal_id,
        "full_name": person.full_name,
        "family_name": person.family_name,
        "middle_name": person.middle_name,
        "given_name": person.given_name,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "permanent_address": _address(household.address, person.commune, household.province_code),
    }


def person_found(person: Person, members: list[Person]) -> dict[str, Any]:
    return {
        "status": "found",
        "person": {
            **_person_base(person),
            "household": {
                "code": person.household_id,
                "relation_to_head": person.relation,
                "members": [
                    {
                        "personal_id": m.personal_id,
                        "full_name": m.full_name,
                        "relation_to_head": m.relation,
                        "birth_date": m.birth_date,
                    }
                    for m in members
                ],
            },
        },
    }


def people_found(people: list[Person]) -> dict[str, Any]:
    return {
        "status": "found",
        "people": [
            {
                "personal_id": p.personal_id,
                "full_name": p.full_name,
                "birth_date": p.birth_date,
                "sex": p.sex,
                "commune_code": p.commune.code,
                "commune_name": p.commune.name,
            }
            for p in people
        ],
    }


def person_change(person: Person) -> dict[str, Any]:
    if person.restricted:
        return {"personal_id": person.personal_id, "status": "not_permitted"}
    return {
        "personal_id": person.personal_id,
        "status": "found",
        "updated_at": person.updated_at,
        "person": {
            **_person_base(person),
            "household": {"code": person.household_id, "relation_to_head": person.relation},
        },
    }


def business_body(business: Business) -> dict[str, Any]:
    lines = business.lines or []
    return {
        "tax_code": business.tax_code,
        "name": business.name,
        "kind": business.kind,
        "kind_name": business_data.KIND_NAMES.get(business.kind, business.kind),
        "status": business.status,
        "status_name": business_data.STATUS_NAMES.get(business.status, business.status),
        "registered_on": business.registered_on,
        "head_office": _address(business.address, business.commune, business.province_code),
        "legal_representative": {
            "personal_id": business.representative_personal_id,
            "full_name": business.representative_name,
        },
        "business_lines": [
            {"code": code, "name": business_data.VSIC.get(code, ""), "main": index == 0}
            for index, code in enumerate(lines)
        ],
    }


def business_found(business: Business) -> dict[str, Any]:
    return {"status": "found", "business": business_body(business)}


def business_change(business: Business) -> dict[str, Any]:
    if business.restricted:
        return {"tax_code": business.tax_code, "status": "not_permitted"}
    return {
        "tax_code": business.tax_code,
        "status": "found",
        "updated_at": business.updated_at,
        "business": business_body(business),
    }


# --- the Government reporting system ------------------------------------------------------


def _agency_code(value: str) -> str:
    try:
        return check_agency_code(value)
    except IdentifierError as exc:
        raise PydanticCustomError(exc.code, str(exc.message)) from None


AgencyCode = Annotated[str, AfterValidator(_agency_code)]
# Period codes of Decree 09/2019/NĐ-CP: 2026M03, 2026Q1, 2026S1, 2026N9, 2026.
PeriodCode = Annotated[str, Field(pattern=r"^\d{4}(M(0[1-9]|1[0-2])|Q[1-4]|S[12]|N9)?$")]
# A decimal written out in full (never a float, so no figure changes on the way).
DecimalText = Annotated[str, Field(pattern=r"^-?\d{1,20}(\.\d{1,10})?$")]
MAX_SUBMISSION_VALUES = 20_000


class SubmissionValueIn(Schema):
    model_config = ConfigDict(extra="forbid")

    external_code: str = Field(
        min_length=1, max_length=100, description="The reporting system's indicator code"
    )
    value: DecimalText
    status: Literal["approved", "provisional", "measured"]
    period: PeriodCode
    unit: AgencyCode = Field(description="Agency code of the unit the value is for")


class SubmissionIn(Schema):
    """A report as JSON (version 1): who sends it, for which period, and its values."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    recipient: str = Field(min_length=1, max_length=100)
    sender: AgencyCode = Field(description="Agency code of the reporting unit")
    sender_name: str = Field(min_length=1, max_length=300)
    period: PeriodCode
    generated_at: datetime
    values: list[SubmissionValueIn] = Field(min_length=1, max_length=MAX_SUBMISSION_VALUES)


class SubmissionReceiptOut(Schema):
    receipt: str = Field(description="SHA-256 of the document as received, hex")
    values: int = Field(description="Number of values accepted")
