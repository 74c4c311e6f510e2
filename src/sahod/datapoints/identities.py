from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import DataPointMetadata, KindSpec
from sahod.kit.envelope import WireModel


class Email(WireModel):
    address: str | None
    type: Literal["Primary", "Secondary", "Work", "Personal"] | None


class Phone(WireModel):
    number: str | None
    type: Literal["Mobile", "Fixed", "Unspecified"] | None


class SocialProfile(WireModel):
    social_url: str | None
    type: Literal["Twitter", "Facebook", "LinkedIn", "Others"] | None


class Address(WireModel):
    full_address: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    zip: str | None = None
    country: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    type: Literal["Primary", "Secondary"] | None
    tags: list[str] = Field(default_factory=list)


class IdentityPayload(WireModel):
    full_name: str
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    gender: Literal["Male", "Female", "Non-binary"] | None = None
    dob: date | None = None
    marital_status: (
        Literal["Divorced", "Married", "Separated", "Single", "Widowed", "Lifetime Partner"] | None
    ) = None
    country_residence: str | None = None
    citizenship: (
        Literal["Citizen", "Resident Alien", "Non-resident Alien", "Undocumented", "Others"] | None
    ) = None
    photo_url: str | None = None
    reference_id: str | None = None
    profile_url: str | None = None
    emails: list[Email]
    phones: list[Phone]
    social_profiles: list[SocialProfile]
    addresses: list[Address]


class Identity(IdentityPayload):
    id: str
    metadata: DataPointMetadata


SPEC = KindSpec(
    kind=DataPointKind.IDENTITIES,
    model=Identity,
    payload_model=IdentityPayload,
    date_field=None,
    filter_style="none",
    tag="Identities",
    singular="identity",
)
