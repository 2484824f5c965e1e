"""The privacy canary itself (decisions 0081, 0086, 0098, 0110): what it counts as a leak and what it lets
pass."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
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


# --- The channels of decision 0086: audit rows, e-mails, command output, files, refused values.


def test_a_number_in_an_audit_row_fails_the_canary_and_a_masked_one_passes(pusdatin):  # type: ignore[no-untyped-def]
    from verval.core import audit

    row = audit.record(actor=pusdatin, action="change_number", after={"phone": "+6281234567890"})
    leaked = Collector()
    privacy_canary.audit_texts(leaked)
    row.after = {"phone": mask("+6281234567890")}
    row.save()
    masked = Collector()
    privacy_canary.audit_texts(masked)

    assert leaked.findings() == [
        f'audit row {row.pk} change_number: number 0812****7890 in \'{{"phone": "0812****7890"}}\''
    ]
    assert masked.findings() == []


def test_a_name_in_an_audit_rows_note_fails_the_canary_unless_it_is_a_reviewers_reason(pusdatin, recipient):  # type: ignore[no-untyped-def]
    from verval.core import audit
    from verval.core.models import AuditEvent

    typed = audit.record(actor=pusdatin, action="return_sptjm", note=f"Nama {recipient.name} tidak terbaca")
    named = audit.record(actor=pusdatin, action="upload_cutoff", note=f"cutoff {recipient.name}.csv")
    seen = Collector()
    privacy_canary.audit_texts(seen)
    names = privacy_canary.stored_names()
    AuditEvent.objects.filter(pk=named.pk).delete()  # the test's own canary would fail it

    assert typed.note == f"Nama {recipient.name} tidak terbaca"
    assert seen.findings(names) == [
        f"audit row {named.pk} upload_cutoff: name {recipient.name!r} in 'cutoff {recipient.name}.csv'"
    ]


def test_a_number_or_a_recipients_name_in_a_refused_rows_value_fails_the_canary(pusdatin, recipient):  # type: ignore[no-untyped-def]
    from verval.core.models import JobIssue

    job = jobs.create_job(actor=pusdatin, kind="validate")
    JobIssue.objects.create(
        job=job, line=3, column="no_ponsel", code="X", message="m", value="0812 3456 7890"
    )
    JobIssue.objects.create(job=job, line=4, column="nama", code="X", message="m", value=recipient.name)
    leaked = Collector()
    privacy_canary.stored_texts(leaked)
    names = privacy_canary.stored_names()
    job.issues.all().delete()  # the test's own canary would fail it

    assert leaked.findings(names) == [
        f"stored refusal of job {job.pk} line 3: number 0812****7890 in '0812****7890'",
        f"stored refusal of job {job.pk} line 4: name {recipient.name!r} in {recipient.name!r}",
    ]


def test_a_number_in_an_e_mail_sent_fails_the_canary(mailoutbox):  # type: ignore[no-untyped-def]
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives("Ringkasan", "Nomor 0812-3456-7890 ditolak", "a@b.id", ["c@d.id"])
    message.attach_alternative("<p>Nomor +62 812 3456 7891</p>", "text/html")
    message.send()
    leaked = Collector()
    privacy_canary.mail_texts(leaked)
    mailoutbox.clear()  # the test's own canary would fail it

    assert leaked.findings() == [
        "e-mail 1 body: number 0812****7890 in 'Nomor 0812****7890 ditolak'",
        "e-mail 1 alternative part: number 0812****7891 in '<p>Nomor 0812****7891</p>'",
    ]


def _command(module: str, stdout_text: str, stderr_text: str):  # type: ignore[no-untyped-def]
    from django.core.management.base import BaseCommand

    class Command(BaseCommand):
        def handle(self, *args, **options):  # type: ignore[no-untyped-def]
            self.stdout.write(stdout_text)
            self.stderr.write(stderr_text)

    Command.__module__ = f"verval.core.management.commands.{module}"
    return Command()


def test_a_number_a_command_writes_to_standard_error_fails_the_canary_also_from_an_allowed_command():  # type: ignore[no-untyped-def]
    privacy_canary.install_command_hook()
    with collecting(Collector()) as leaked:
        call_command(
            _command("validate", "rows 3, nomor 081234567890", "line 3 +6281234567891"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    with collecting(Collector(keep_allowed=True)) as allowed:
        call_command(
            _command("phones", "081234567890,+6281234567890,valid", "baris 3: 081234567891"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )

    assert leaked.findings() == [
        "standard output of command validate: number 0812****7890 in 'rows 3, nomor 0812****7890\\n'",
        "standard error of command validate: number 0812****7891 in 'line 3 0812****7891\\n'",
    ]
    assert allowed.findings() == [
        "standard error of command phones: number 0812****7891 in 'baris 3: 0812****7891\\n'"
    ]
    assert allowed.allowed_findings() == [
        "standard output of command phones: number 0812****7890 in '0812****7890,0812****7890,valid\\n'"
    ]


def test_a_number_printed_straight_to_sys_stderr_by_a_command_fails_the_canary():  # type: ignore[no-untyped-def]
    import sys

    from django.core.management.base import BaseCommand

    class Command(BaseCommand):
        def handle(self, *args, **options):  # type: ignore[no-untyped-def]
            print("ditolak 0812.3456.7890", file=sys.stderr)

    Command.__module__ = "verval.core.management.commands.jobs"
    privacy_canary.install_command_hook()
    with collecting(Collector()) as leaked:
        call_command(Command())

    assert leaked.findings() == [
        "standard error of command jobs: number 0812****7890 in 'ditolak 0812****7890\\n'"
    ]


def test_a_number_in_a_file_the_product_writes_fails_the_canary_unless_its_kind_carries_numbers():  # type: ignore[no-untyped-def]
    import gzip

    from verval.core import files

    privacy_canary.install_file_store_hook()
    with collecting(Collector(keep_allowed=True)) as seen:
        files.new_path("jobs", ".progress")[1].write_text('{"step": "0812-3456-7890"}')
        rel, path = files.new_path("dumps", ".csv.gz")
        path.write_bytes(gzip.compress(b"pd_id,no_ponsel\nx,081234567891\n"))
        files.new_path("dumps", ".json")[1].write_text('{"first": "081234567892"}')
    privacy_canary.file_texts(seen)

    assert sorted(f.split(":", 1)[1] for f in seen.findings()) == [
        ' number 0812****7890 in \'{"step": "0812****7890"}\'',
        ' number 0812****7892 in \'{"first": "0812****7892"}\'',
    ]
    assert [f.split(":", 1)[0] for f in seen.allowed_findings()] == [f"file {rel}"]


def test_a_decimal_fraction_is_not_a_number_whose_leading_zero_was_dropped():  # type: ignore[no-untyped-def]
    assert find_numbers("load after: (5.82177734375, 6.52, 3.64)") == []
    assert find_numbers("baris 3 81234567890") == ["3 81234567890"]


def _page_request(rf, user):  # type: ignore[no-untyped-def]
    request = rf.get("/sekolah/20100001/")
    request.user = user
    return request


@pytest.mark.parametrize("role", ["dinas_kab", "dinas_prov", "pusdatin", "provider_user"])
def test_a_full_number_in_the_text_of_a_page_whose_reader_sees_numbers_masked_fails_the_canary(  # type: ignore[no-untyped-def]
    role, request, rf
):
    user = request.getfixturevalue(role)
    page = HttpResponse("<td>Siswa 12</td><td>0812-3456-7890</td><td>0856****4321</td>")
    with collecting(Collector()) as leaked:
        privacy_canary.observe_exchange(_page_request(rf, user), page)

    assert leaked.findings() == [
        f"text of the page GET /sekolah/20100001/ read by {user.role}: number 0812****7890 in "
        "'<td>Siswa 12</td><td>0812****7890</td><td>0856****4321</td>'"
    ]


def test_the_schools_own_operator_reads_its_numbers_in_full_and_the_public_reads_none(rf, operator):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    page = HttpResponse("<td>0812-3456-7890</td>")
    with collecting(Collector()) as own:
        privacy_canary.observe_exchange(_page_request(rf, operator), page)
    with collecting(Collector()) as public:
        privacy_canary.observe_exchange(_page_request(rf, AnonymousUser()), page)

    assert own.findings() == []
    assert public.findings() == [
        "text of the page GET /sekolah/20100001/ read by anonymous: number 0812****7890 in "
        "'<td>0812****7890</td>'"
    ]


def test_a_number_in_a_data_attribute_address_a_meta_refresh_or_hx_replace_url_fails_the_canary(rf):  # type: ignore[no-untyped-def]
    page = HttpResponse(
        '<div data-hx-get="/cari/?n=081234567891"></div><span data-poll-url="/x/6281234567892/"></span>'
        '<meta http-equiv="refresh" content="5; url=/y/?n=%2B6281234567893">'
    )
    page["HX-Replace-Url"] = "/z/?n=081234567894"
    with collecting(Collector()) as leaked:
        privacy_canary.observe_exchange(rf.get("/sekolah/"), page)

    assert sorted(leaked.findings()) == [
        "HX-Replace-Url of GET /sekolah/: number 0812****7894 in '/z/?n=0812****7894'",
        "address in the page of /sekolah/: number 0812****7891 in '/cari/?n=0812****7891'",
        "address in the page of /sekolah/: number 0812****7892 in '/x/0812****7892/'",
        "address in the page of /sekolah/: number 0812****7893 in '5; url=/y/?n=0812****7893'",
    ]


@pytest.mark.parametrize(
    ("argv", "program"),
    [
        (["verval", "stats"], "verval stats"),
        ([sys.executable, "-m", "verval.cli", "--json", "phones", "check"], "verval phones"),
        ([sys.executable, "-m", "verval_provider", "sync", "--url", "u"], "verval-provider sync"),
        ([sys.executable, "-m", "gunicorn", "-c", "x"], "gunicorn"),
        ([sys.executable, "-c", "print(1)"], "python -c"),
        ([sys.executable, "bench/bench_ingest.py", "--rows", "9"], "python bench_ingest.py"),
        (["/usr/bin/chromium", "--headless"], None),
        ([sys.executable, "-m", "pip", "list"], None),
    ],
)
def test_the_canary_reads_the_processes_of_the_products_programs_only(argv, program):  # type: ignore[no-untyped-def]
    assert privacy_canary.product_program(argv) == program


def test_a_number_a_separate_process_writes_fails_the_canary_wherever_its_streams_go():  # type: ignore[no-untyped-def]
    import subprocess

    privacy_canary.install_process_hook()
    script = "import sys; print('nomor 081234567890'); print('0856****4321', file=sys.stderr)"
    with collecting(Collector()) as piped:
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    with collecting(Collector()) as discarded:
        subprocess.run(
            [sys.executable, "-c", script.replace("081234567890", "6281234567891")],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        privacy_canary.spooled_texts(discarded)

    assert piped.findings() == [
        "standard output of python -c (separate process): number 0812****7890 in 'nomor 0812****7890\\n'"
    ]
    assert discarded.findings() == [
        "standard output of python -c (separate process): number 0812****7891 in 'nomor 0812****7891\\n'"
    ]


def test_verval_phones_check_as_a_process_may_print_the_numbers_it_read_but_not_on_standard_error():  # type: ignore[no-untyped-def]
    import os
    import subprocess

    privacy_canary.install_process_hook()
    with collecting(Collector(keep_allowed=True)) as seen:
        subprocess.run(
            [sys.executable, "-m", "verval.cli", "phones", "check"],
            input="081234567890\n",
            capture_output=True,
            text=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "verval.settings"},
            check=True,
            timeout=120,
        )

    assert seen.findings() == []
    assert [f.split(":", 1)[0] for f in seen.allowed_findings()] == [
        "standard output of verval phones (separate process)"
    ]


def test_a_number_the_provider_kit_prints_or_writes_beside_its_data_files_fails_the_canary(  # type: ignore[no-untyped-def]
    tmp_path, capsys, monkeypatch
):
    from verval_provider import cli

    def send_recap(args):  # type: ignore[no-untyped-def]
        # What a kit command writes: its workdir's ledger and data files, and its lines.
        period = Path(args.workdir) / "penyaluran" / "2020-09A"
        period.mkdir(parents=True)
        (period / "hasil.json").write_text('[{"msisdn": "6281234567891"}]')
        (period / "b1.csv.gz").write_bytes(b"x")
        (Path(args.workdir) / "DMP-1-hasil.csv").write_text("pd_id,no_ponsel\nx,6281234567892\n")
        print("sent 3 rows, first 081234567893")
        print("0856****4321 refused", file=sys.stderr)
        return 0

    monkeypatch.setattr(cli, "_server_command", send_recap)
    privacy_canary.install_kit_hook()
    with collecting(Collector(keep_allowed=True)) as seen:
        cli.main(
            ["send-recap", "--url", "http://verval.test", "--period", "x", "--workdir", str(tmp_path / "k")]
        )
        privacy_canary.kit_texts(seen)
    capsys.readouterr()

    assert sorted(f.split(" in ", 1)[0] for f in seen.findings()) == [
        "kit file hasil.json: number 0812****7891",
        "standard output of verval-provider send-recap: number 0812****7893",
    ]
    assert [f.split(":", 1)[0] for f in seen.allowed_findings()] == ["kit file DMP-1-hasil.csv"]


# --- Decision 0110: downloads and their audit rows, the provider API's JSON answers, a separate
# process's own SQLite database.


def _download_request(rf, user, path="/dinas/sekolah.csv"):  # type: ignore[no-untyped-def]
    request = rf.get(path)
    request.user = user
    return request


def _csv(text: str):  # type: ignore[no-untyped-def]
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="x.csv"'
    return response


def test_a_download_that_writes_no_audit_row_fails_the_canary(rf, dinas_kab):  # type: ignore[no-untyped-def]
    with collecting(Collector()) as unaudited:
        privacy_canary.observe_exchange(_download_request(rf, dinas_kab), _csv("npsn\n20100001\n"), [])
    with collecting(Collector()) as other_row:
        privacy_canary.observe_exchange(
            _download_request(rf, dinas_kab), _csv("npsn\n20100001\n"), ["sign_in"]
        )
    with collecting(Collector()) as audited:
        privacy_canary.observe_exchange(
            _download_request(rf, dinas_kab), _csv("npsn\n20100001\n"), ["download_region_school_list"]
        )
        privacy_canary.download_texts(audited)

    assert unaudited.findings() == [
        "download GET /dinas/sekolah.csv: no audit row of the download (audit rows written: none)"
    ]
    assert other_row.findings() == [
        "download GET /dinas/sekolah.csv: no audit row of the download (audit rows written: sign_in)"
    ]
    assert audited.findings() == []


def test_a_real_download_whose_audit_row_is_not_written_fails_the_canary(client, dinas_kab, monkeypatch):  # type: ignore[no-untyped-def]
    from verval.core import views

    client.force_login(dinas_kab)
    with collecting(Collector()) as audited:
        client.get("/dinas/sekolah.csv")
    monkeypatch.setattr(views.audit, "record", lambda **kwargs: None)
    with collecting(Collector()) as unaudited:
        client.get("/dinas/sekolah.csv")

    assert audited.findings() == []
    assert unaudited.findings() == [
        "download GET /dinas/sekolah.csv: no audit row of the download (audit rows written: none)"
    ]


def test_a_full_number_in_a_download_to_a_reader_of_masked_numbers_fails_the_canary_however_it_is_sent(  # type: ignore[no-untyped-def]
    rf, dinas_kab, pusdatin
):
    from django.http import FileResponse, StreamingHttpResponse

    from verval.core.spreadsheet import xlsx_report, xlsx_response

    streamed = StreamingHttpResponse(iter([b"nisn,no_ponsel\n", b"0030000001,0812-3456-7890\n"]))
    streamed["Content-Disposition"] = 'attachment; filename="x.csv"'
    excel = xlsx_response(
        xlsx_report(sheet="s", columns=["no_ponsel"], rows=[["+6281234567891"]], widths=[20]), "x.xlsx"
    )
    audit = ["download_x"]
    with collecting(Collector()) as leaked:
        privacy_canary.observe_exchange(_download_request(rf, dinas_kab), _csv("n\n0856****4321\n"), audit)
        privacy_canary.observe_exchange(_download_request(rf, dinas_kab), streamed, audit)
        privacy_canary.observe_exchange(_download_request(rf, pusdatin, "/x.xlsx"), excel, audit)
        b"".join(streamed.streaming_content)  # what the test reads is what the canary reads
        b"".join(excel.streaming_content)
        privacy_canary.download_texts(leaked)

    assert isinstance(excel, FileResponse) and excel.file_to_stream is None
    assert [f.split(" in ", 1)[0] for f in leaked.findings()] == [
        "download GET /dinas/sekolah.csv read by DINAS_KAB: number 0812****7890",
        "download GET /x.xlsx read by PUSDATIN: number 0812****7891",
    ]


def test_a_full_number_in_a_pdf_download_fails_the_canary_and_the_schools_operator_downloads_its_own(  # type: ignore[no-untyped-def]
    rf, dinas_prov, operator
):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Nomor 0812 3456 7890")
    data = bytes(pdf.output())
    audit = ["download_x"]
    with collecting(Collector()) as seen:
        for user in (dinas_prov, operator):
            response = HttpResponse(data, content_type="application/pdf")
            privacy_canary.observe_exchange(_download_request(rf, user, "/laporan.pdf"), response, audit)
        privacy_canary.download_texts(seen)

    assert seen.findings() == [
        "download GET /laporan.pdf read by DINAS_PROV: number 0812****7890 in 'Nomor 0812****7890'"
    ]


def test_a_download_that_carries_numbers_by_purpose_is_kept_apart_and_not_judged(rf, pusdatin):  # type: ignore[no-untyped-def]
    with collecting(Collector(keep_allowed=True)) as seen:
        privacy_canary.observe_exchange(
            _download_request(rf, pusdatin, "/sptjm/3f0a/dokumen.pdf"),
            _csv("0812-3456-7890"),
            ["download_sptjm_pdf"],
        )
        privacy_canary.download_texts(seen)

    assert seen.findings() == []
    assert seen.allowed_findings() == [
        "download GET /sptjm/3f0a/dokumen.pdf: number 0812****7890 in '0812****7890'"
    ]


def _api_request(rf, path="/api/v1/batches/DMP-1/results"):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    request = rf.post(path, data="pd_id,no_ponsel\nx,081234567890\n", content_type="text/csv")
    request.user = AnonymousUser()  # the API's token is no session user
    return request


def test_a_number_in_a_json_answer_of_the_api_fails_the_canary_even_one_the_provider_sent(rf, recipient):  # type: ignore[no-untyped-def]
    from django.http import JsonResponse

    echoed = JsonResponse({"code": "X", "rows": [{"line": 2, "value": "081234567890"}]}, status=422)
    named = JsonResponse({"code": "X", "rows": [{"line": 2, "value": recipient.name}]}, status=400)
    masked = JsonResponse({"code": "X", "rows": [{"line": 2, "value": "0812****7890"}]}, status=422)
    with collecting(Collector()) as seen:
        for answer in (echoed, named, masked):
            privacy_canary.observe_exchange(_api_request(rf), answer, [])
    names = privacy_canary.stored_names()

    assert seen.findings(names) == [
        "JSON answer 422 of the API POST /api/v1/batches/DMP-1/results: number 0812****7890 in "
        '\'{"code": "X", "rows": [{"line": 2, "value": "0812****7890"}]}\'',
        f"JSON answer 400 of the API POST /api/v1/batches/DMP-1/results: name {recipient.name!r} in "
        f'\'{{"code": "X", "rows": [{{"line": 2, "value": "{recipient.name}"}}]}}\'',
    ]


def test_a_providers_batch_file_is_not_judged_and_its_refused_rows_report_is(rf):  # type: ignore[no-untyped-def]
    import gzip

    batch = HttpResponse(
        gzip.compress(b"pd_id,no_ponsel\nx,6281234567890\n"), content_type="application/gzip"
    )
    batch["Content-Disposition"] = 'attachment; filename="DMP-1.csv.gz"'
    with collecting(Collector(keep_allowed=True)) as seen:
        privacy_canary.observe_exchange(
            _api_request(rf, "/api/v1/batches/DMP-1/file"), batch, ["download_dump"]
        )
        privacy_canary.observe_exchange(
            _api_request(rf, "/api/v1/jobs/1/issues"),
            _csv("baris,nilai\n2,+6281234567891\n"),
            ["download_job_report"],
        )
        privacy_canary.download_texts(seen)

    assert seen.findings() == [
        "download POST /api/v1/jobs/1/issues to a provider: number 0812****7891 in "
        "'baris,nilai\\n2,0812****7891\\n'"
    ]
    assert [f.split(":", 1)[0] for f in seen.allowed_findings()] == [
        "download POST /api/v1/batches/DMP-1/file"
    ]


_CHILD_DB = """
import os, sqlite3, sys
db = sqlite3.connect(os.path.join(os.environ["VERVAL_VAR_DIR"], "verval.sqlite3"))
db.execute("CREATE TABLE core_auditevent (id, action, object_id, before, after, note)")
db.execute("CREATE TABLE registry_recipient (name)")
db.execute("INSERT INTO core_auditevent VALUES (1, 'edit_number', 'r1', NULL, ?, '')", (sys.argv[1],))
db.execute("INSERT INTO core_auditevent VALUES (2, 'import', 'j1', NULL, NULL, 'Siti Rahayu ditolak')")
db.execute("INSERT INTO registry_recipient VALUES ('Siti Rahayu')")
db.commit()
"""


def test_a_number_or_a_name_in_the_sqlite_database_of_a_separate_process_fails_the_canary(tmp_path):  # type: ignore[no-untyped-def]
    import os
    import subprocess

    privacy_canary.install_process_hook()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    with collecting(Collector()) as seen:
        subprocess.run(
            [sys.executable, "-c", _CHILD_DB, '{"phone": "+6281234567890"}'],
            env={**env, "VERVAL_VAR_DIR": str(tmp_path)},
            check=True,
        )
        names = privacy_canary.process_db_texts(seen)
        privacy_canary.spooled_texts(seen)

    assert names == {"Siti Rahayu"}
    assert seen.findings(names) == [
        "audit row 1 edit_number (database verval.sqlite3 of a separate process): number 0812****7890 "
        'in \'{"phone": "0812****7890"}\'',
        "audit row 2 import (database verval.sqlite3 of a separate process): name 'Siti Rahayu' in "
        "'Siti Rahayu ditolak'",
    ]


def test_the_canary_reads_the_database_a_process_is_given_and_not_the_checkouts(tmp_path):  # type: ignore[no-untyped-def]
    privacy_canary.forget_file_stores()
    privacy_canary._note_process_stores(
        "verval stats", ["verval", "stats"], {"DATABASE_URL": "sqlite:///db/a.sqlite3"}, tmp_path
    )
    privacy_canary._note_process_stores(
        "verval stats", ["verval", "stats"], {"VERVAL_VAR_DIR": "var2"}, tmp_path
    )
    privacy_canary._note_process_stores(
        "verval stats", ["verval", "stats"], {"DATABASE_URL": "postgres://x/y"}, tmp_path
    )
    privacy_canary._note_process_stores("verval stats", ["verval", "stats"], {}, tmp_path)

    assert privacy_canary._process_dbs == {
        str(tmp_path / "db/a.sqlite3"),
        str(tmp_path / "var2/verval.sqlite3"),
    }
    privacy_canary.forget_file_stores()
