"""factory_boy factories over the real models. Regions come from the shipped reference data."""

from __future__ import annotations

import uuid

import factory

from verval.accounts.models import User
from verval.reference.models import School
from verval.registry.models import Recipient

# Kec. Nanggung, Kab. Bogor (Jawa Barat) from the shipped Dapodik regions.
DEFAULT_DISTRICT = "020501"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("npsn",)

    npsn = factory.Sequence(lambda n: f"{20100000 + n:08d}")
    name = factory.Sequence(lambda n: f"SD Negeri {n} Contoh")
    bentuk = "SD"
    status = "N"
    region_id = DEFAULT_DISTRICT
    regency_id = "020500"
    province_id = "020000"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("rahasia-123")
    role = "PUSDATIN"


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient

    id = factory.LazyFunction(uuid.uuid4)
    kind = "PD"
    category = "DIKDASMEN"
    name = factory.Sequence(lambda n: f"Siswa {n}")
    nisn = factory.Sequence(lambda n: f"{30000000 + n:010d}")
    grade = 4
    school = factory.SubFactory(SchoolFactory)
    phone_raw = factory.Sequence(lambda n: f"0812{10000000 + n:08d}")
    phone_e164 = factory.LazyAttribute(lambda r: "+62" + r.phone_raw[1:])
    operator = "telkomsel"


def correction_job(operator, school, *, content: bytes = b"PK\x03\x04", folder: str = "uploads"):  # type: ignore[no-untyped-def]
    """A school's correction file, stored and recorded as a job (PENDING, not yet queued): the
    common start of the tests of the job page, previews and retention."""
    from verval.core import files, jobs

    relative, sha, _size = files.save_stream(folder, ".xlsx", [content])
    return jobs.create_job(
        actor=operator,
        kind="bulk_correction",
        school_id=school.npsn,
        input_name="koreksi.xlsx",
        input_path=relative,
        input_sha256=sha,
    )
