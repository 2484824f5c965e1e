"""The kabupaten/kota level is labelled as the pages write it (decision 0060: one label per
concept; decision 0067 aligned the model choice)."""

from __future__ import annotations

from django.utils import translation

from verval.reference.models import Region


def test_regency_level_is_labelled_as_the_pages_write_it_in_both_languages():
    with translation.override("id"):
        indonesian = str(Region.Level.REGENCY.label)
    with translation.override("en"):
        english = str(Region.Level.REGENCY.label)

    assert (indonesian, english) == ("Kabupaten/kota", "Regency/city")


def test_region_level_field_offers_the_aligned_label():
    field = Region._meta.get_field("level")

    with translation.override("id"):
        assert [(value, str(label)) for value, label in field.choices] == [
            (1, "Provinsi"),
            (2, "Kabupaten/kota"),
            (3, "Kecamatan"),
        ]
