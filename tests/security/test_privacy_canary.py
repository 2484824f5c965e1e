"""The privacy canary itself (decision 0081): what it counts as a leak and what it lets pass."""

from __future__ import annotations

import io
import logging

import pytest
from django.http import HttpResponse, HttpResponseRedirect

from tests import privacy_canary
from tests.privacy_canary import Collector, collecting, find_numbers
from verval.core import jobs
from verval.core.models import Job
from verval.phones import mask


@pytest.fixture
def unfiltered_log():  # type: ignore[no-untyped-def]
    """A logger with a handler the settings did not give the number filter (what a deployer's
    extra handler would be), watched by the canary like the configured ones."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("canary_selftest.unfiltered")
    log.addHandler(handler)
    log.addHandler(privacy_canary.HANDLER)
    privacy_canary.CONFIGURED.add(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    yield log
    privacy_canary.CONFIGURED.discard(handler)
    log.removeHandler(handler)
    log.removeHandler(privacy_canary.HANDLER)
    log.propagate = True


@pytest.mark.parametrize(
    "typed",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "0812.3456.7890",
        "(0812) 3456.7890",
        "+6281234567890",
        "+62 812 3456 7890",
        "+62 (0) 812-3456-7890",
        "6281234567890",
        "006281234567890",
        "81234567890",
        "0856-1234-567",
        "(+62) 812 3456 7890",
    ],
)
def test_a_number_in_any_form_the_spec_accepts_is_found(typed):  # type: ignore[no-untyped-def]
    assert find_numbers(f"sent to {typed}, line 3") == [typed]


@pytest.mark.parametrize(
    ("typed", "read"),
    [("０８１２３４５６７８９０", "081234567890"), ("0812\u20133456\u20137890", "0812-3456-7890")],
)
def test_a_number_in_full_width_digits_or_with_typographic_dashes_is_found(typed, read):  # type: ignore[no-untyped-def]
    assert find_numbers(f"sent to {typed}, line 3") == [read]


@pytest.mark.parametrize(
    "text",
    [
        "sent to 0812****7890",
        "sent to [nomor]",
        "job 3f0a0812-3456-7890-a1b2-0812345678ab failed",
        "sha256 0812345678901234567890123456789012345678901234567890123456789012",
        "NISN 0030000001, NPSN 20100001, 4 rows, 2026-12-01 08:12:34",
        "landline 021-5551234",
        "at 10.0.81.234 port 8123",
    ],
)
def test_a_masked_number_an_id_a_date_or_a_landline_is_not_a_number(text):  # type: ignore[no-untyped-def]
    assert find_numbers(text) == []


def test_a_log_line_written_with_a_number_fails_the_canary_and_a_masked_one_passes(unfiltered_log):  # type: ignore[no-untyped-def]
    with collecting(Collector()) as leaked:
        unfiltered_log.warning("upload refused: %s", "0812-3456-7890")
    with collecting(Collector()) as masked:
        unfiltered_log.warning("upload refused: %s", mask("0812-3456-7890"))

    assert leaked.findings() == [
        "log canary_selftest.unfiltered WARNING: number 0812****7890 in 'upload refused: 0812****7890'"
    ]
    assert masked.findings() == []


def test_a_number_in_a_logged_traceback_fails_the_canary(unfiltered_log):  # type: ignore[no-untyped-def]
    with collecting(Collector()) as leaked:
        try:
            raise ValueError("duplicate key (phone_e164)=(+6281234567890)")
        except ValueError:
            unfiltered_log.exception("job failed")

    (finding,) = leaked.findings()
    assert finding.startswith(
        "log canary_selftest.unfiltered ERROR: number 0812****7890 in 'job failed\\nTraceback"
    )


def test_the_canary_judges_a_log_line_as_the_configured_handler_writes_it():  # type: ignore[no-untyped-def]
    # django.request's "Not Found: <path>" quotes what a client typed: the settings' filter masks
    # it on the way out, and that written line is what the canary judges.
    with collecting(Collector()) as written:
        logging.getLogger("django.request").warning("Not Found: %s", "/api/v1/batches/6281234567890")

    assert written.findings() == []


def test_a_number_in_a_message_the_products_code_composes_fails_the_canary_though_the_filter_masks_it():  # type: ignore[no-untyped-def]
    with collecting(Collector()) as leaked:
        logging.getLogger("verval.canary_selftest").warning("sent to %s", "081234567890")

    assert leaked.findings() == [
        "log verval.canary_selftest WARNING (message as the product's code composed it):"
        " number 0812****7890 in 'sent to 0812****7890'"
    ]


def test_a_name_of_a_recipient_the_test_created_in_a_requested_address_fails_the_canary(client, recipient):  # type: ignore[no-untyped-def]
    with collecting(Collector()) as leaked:
        client.get("/masuk/", {"nama": recipient.name})

    assert recipient.name in privacy_canary.stored_names()
    assert leaked.findings(privacy_canary.stored_names()) == [
        f"requested address GET: name {recipient.name!r} in '/masuk/?nama={recipient.name}'"
    ]


def test_a_number_in_a_redirects_location_or_a_pages_link_fails_the_canary(rf):  # type: ignore[no-untyped-def]
    page = HttpResponse(
        '<a href="/cari/?n=%2B6281234567890">cari</a> <a href="tel:+6281234567890">telepon</a>'
    )
    with collecting(Collector()) as leaked:
        privacy_canary.observe_exchange(
            rf.post("/ubah/"), HttpResponseRedirect("/cari/?nomor=0812-3456-7890")
        )
        privacy_canary.observe_exchange(rf.get("/sekolah/"), page)

    assert leaked.findings() == [
        "Location of POST /ubah/: number 0812****7890 in '/cari/?nomor=0812****7890'",
        "address in the page of /sekolah/: number 0812****7890 in '/cari/?n=0812****7890'",
    ]


def test_a_number_in_a_stored_job_message_fails_the_canary_and_a_masked_one_passes(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=job.pk).update(error_message="Nomor 0812-3456-7890 ditolak")
    leaked = Collector()
    privacy_canary.stored_texts(leaked)
    Job.objects.filter(pk=job.pk).update(error_message=f"Nomor {mask('0812-3456-7890')} ditolak")
    masked = Collector()
    privacy_canary.stored_texts(masked)

    assert leaked.findings() == [
        f"stored text of job {job.pk}: number 0812****7890 in 'Nomor 0812****7890 ditolak'"
    ]
    assert masked.findings() == []


@pytest.mark.parametrize(
    "typed",
    ["０８１２３４５６７８９０", "0812\u20133456\u20137890", "006281234567890", "0812\u200b3456\u200b7890"],
)
def test_the_log_filter_masks_a_number_in_full_width_digits_typographic_dashes_or_with_00_62(typed):  # type: ignore[no-untyped-def]
    # Found by the canary's forms (decision 0081): the filter let these through as typed.
    from verval.core.logging import mask_text

    assert mask_text(f"upload refused: {typed} (baris 3)") == "upload refused: [nomor] (baris 3)"
