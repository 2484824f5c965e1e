"""THE AUTHORIZATION RULES — one entry per route. Read this before adding a URL.

tests/security/test_authorization_matrix.py walks the whole URL configuration (every app, the
provider API, django.contrib.auth and the Django admin) and requests every route as every role.
A route WITHOUT an entry in RULES makes `test_every_route_has_an_authorization_rule` FAIL, listing
the missing names. When you add a route:

  1. add `"<namespace>:<name>": Rule(...)` to RULES below (method, who is allowed);
  2. if its URL has a keyword argument the matrix cannot fill yet, add a builder to KWARGS (by
     kwarg name) or ROUTE_KWARGS (for one route); a builder gets the World (fixture objects) and
     returns the value — it may create objects (a DumpBatch, an Sptjm...) for the fixture school
     or the fixture provider (telkomsel);
  3. run `pytest tests/security/test_authorization_matrix.py -q -k <your_name>`.

Roles (fixtures of tests/conftest.py): the fixture objects belong to `school` (regency 020500,
province 020000) and to provider telkomsel.
  anonymous        no session, no token
  operator         operator of the fixture school
  other_operator   operator of another school (other regency, same province)
  dinas_kab        Dinas of the fixture school's regency
  other_dinas_kab  Dinas of the other school's regency
  dinas_prov       Dinas of the province (covers both schools)
  pusdatin         Pusdatin
  provider         telkomsel — web routes: signed-in session; API routes: its Bearer token
  other_provider   indosat   — the same, with its own token

"Allowed" means the response is not a refusal and not a server error; "refused" means 401, 403,
404 (an object outside the scope answers "not found") or a redirect to a sign-in page. A 405
means the rule's method is wrong. Every GET rule of a provider API route also checks HEAD with the
same roles (each API GET answers HEAD), unless the entry has its own HEAD rule. Allowed POSTs run
inside a rolled-back transaction, so a rule may send an empty or minimal body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ANONYMOUS = "anonymous"
OPERATOR = "operator"
OTHER_OPERATOR = "other_operator"
DINAS_KAB = "dinas_kab"
OTHER_DINAS_KAB = "other_dinas_kab"
DINAS_PROV = "dinas_prov"
PUSDATIN = "pusdatin"
PROVIDER = "provider"
OTHER_PROVIDER = "other_provider"

ROLES = (
    ANONYMOUS,
    OPERATOR,
    OTHER_OPERATOR,
    DINAS_KAB,
    OTHER_DINAS_KAB,
    DINAS_PROV,
    PUSDATIN,
    PROVIDER,
    OTHER_PROVIDER,
)

ALL = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
SIGNED_IN = ALL - {ANONYMOUS}
DINAS_ALL = frozenset({DINAS_KAB, OTHER_DINAS_KAB, DINAS_PROV})
STAFF_READERS = DINAS_ALL | {PUSDATIN}
# Readers of the fixture school's data: its operator, its regency's and province's Dinas, Pusdatin.
SCHOOL_READERS = frozenset({OPERATOR, DINAS_KAB, DINAS_PROV, PUSDATIN})
# Those who may read the fixture school's registrations / manage its operator.
SCHOOL_DINAS = frozenset({DINAS_KAB, DINAS_PROV})
# The one that decides its registrations: the fixture school is an SD, its kabupaten/kota Dinas's
# (the province reads them only; decision 0096).
SCHOOL_DECIDER = frozenset({DINAS_KAB})
SCHOOL_EDITOR = frozenset({OPERATOR})
ONLY_PUSDATIN = frozenset({PUSDATIN})
ANY_OPERATOR = frozenset({OPERATOR, OTHER_OPERATOR})
ANY_PROVIDER = frozenset({PROVIDER, OTHER_PROVIDER})
OWN_PROVIDER = frozenset({PROVIDER})


@dataclass(frozen=True)
class Rule:
    allow: frozenset[str]
    method: str = "GET"
    # Request body builder (World -> dict) for POST/PUT; files may be SimpleUploadedFile values.
    data: Callable[[Any], dict[str, Any]] | None = None
    # Extra query string (World -> dict).
    query: Callable[[Any], dict[str, str]] | None = None
    note: str = ""


def rules(*items: Rule) -> tuple[Rule, ...]:
    """Several methods on one route: RULES["x"] = rules(Rule(..., method="GET"), Rule(..., method="POST"))."""
    return items


# Keys: "namespace:name" (exact), or a glob ("admin:*") tried after the exact keys, or — for an
# unnamed route — its full route string (also glob-able: "django-admin/*").
RULES: dict[str, Rule | tuple[Rule, ...]] = {
    # --- public dashboard (aggregates only) ---------------------------------------------------------
    "dashboard:public": Rule(ALL),
    "dashboard:public_json": Rule(ALL),
    "dashboard:region": Rule(ALL, note="aggregates; school list only for users whose scope covers it"),
    "dashboard:school": Rule(SCHOOL_READERS),
    "dashboard:mine": Rule(SIGNED_IN),
    "dashboard:behind": Rule(STAFF_READERS),
    "dashboard:behind_csv": Rule(STAFF_READERS),
    "dashboard:behind_xlsx": Rule(STAFF_READERS),
    # The fixture regency's Dinas's own export (decision 0068): nobody else, Pusdatin included.
    "dashboard:behind_export_file": Rule(frozenset({DINAS_KAB})),
    # --- accounts ---------------------------------------------------------------------------------
    "accounts:login": Rule(ALL),
    "accounts:logout": Rule(ALL, method="POST"),
    "accounts:home": Rule(SIGNED_IN),
    "accounts:register": Rule(ALL),
    "accounts:registrations": Rule(DINAS_ALL),
    "accounts:registration_letter": Rule(SCHOOL_DINAS),
    "accounts:registration_approve": Rule(SCHOOL_DECIDER, method="POST"),
    "accounts:registration_reject": Rule(
        SCHOOL_DECIDER, method="POST", data=lambda w: {"reason": "SK tidak sah"}
    ),
    "accounts:users": rules(
        Rule(STAFF_READERS),
        # The search term travels in the body (decision 0004).
        Rule(STAFF_READERS, method="POST", data=lambda w: {"q": "operator"}),
    ),
    "accounts:staff_create": Rule(ONLY_PUSDATIN),
    "accounts:user_deactivate": Rule(SCHOOL_DINAS | ONLY_PUSDATIN, method="POST"),
    # A Dinas undoes its own deactivation of an operator of its region (decision 0109).
    "accounts:user_reactivate": Rule(SCHOOL_DINAS | ONLY_PUSDATIN, method="POST"),
    "accounts:user_reset_two_factor": Rule(ONLY_PUSDATIN, method="POST"),
    # An operator of the fixture school who never set a password: Pusdatin, and the Dinas whose
    # /pengguna/ lists it, may send a new set-password link.
    "accounts:user_resend_invitation": Rule(SCHOOL_DINAS | ONLY_PUSDATIN, method="POST"),
    "accounts:user_edit": rules(
        Rule(ONLY_PUSDATIN),
        Rule(
            ONLY_PUSDATIN,
            method="POST",
            data=lambda w: {"email": "operator.benar@example.test", "npsn": w.school.npsn},
        ),
    ),
    # The signed-in user's own page; only operators and Dinas have a daily digest to switch.
    "accounts:my_account": rules(
        Rule(SIGNED_IN),
        Rule(ANY_OPERATOR | DINAS_ALL, method="POST", data=lambda w: {"digest_enabled": ""}),
    ),
    "accounts:otp_setup": Rule(STAFF_READERS),
    "accounts:otp_verify": Rule(STAFF_READERS),
    "accounts:time_zone": Rule(
        SIGNED_IN, method="POST", data=lambda w: {"zona": "WITA", "next": "/beranda/"}
    ),
    # --- Pusdatin / Dinas pages and jobs ----------------------------------------------------------------
    "core:pusdatin": Rule(ONLY_PUSDATIN),
    "core:period_create": Rule(ONLY_PUSDATIN),
    "core:period_edit": Rule(ONLY_PUSDATIN),
    "core:period_open": Rule(ONLY_PUSDATIN, method="POST"),
    "core:period_close": Rule(ONLY_PUSDATIN, method="POST"),
    "core:dinas": Rule(DINAS_ALL),
    "core:dinas_export": Rule(DINAS_ALL),
    "core:dinas_export_xlsx": Rule(DINAS_ALL),
    # The audit log (decision 0135): Pusdatin all rows, a Dinas its region's; operators and
    # providers none (a provider reads its own rows through the API).
    "core:audit": Rule(STAFF_READERS),
    "core:audit_csv": Rule(STAFF_READERS),
    # The fixture job is the operator's own bulk-correction upload of the fixture school.
    "core:job": Rule(SCHOOL_EDITOR | ONLY_PUSDATIN),
    # Pusdatin alone re-queues a job (decision 0022); the fixture job is a correction file
    # awaiting the school's click, so the re-queue is refused with a message (a redirect).
    "core:job_requeue": Rule(ONLY_PUSDATIN, method="POST"),
    # Pusdatin cancels any job, the operator who uploaded a correction file that file (decision
    # 0039): the fixture job is the operator's own upload.
    "core:job_cancel": Rule(SCHOOL_EDITOR | ONLY_PUSDATIN, method="POST"),
    "core:job_progress": Rule(SCHOOL_EDITOR | ONLY_PUSDATIN),
    "core:job_issues_csv": Rule(SCHOOL_EDITOR | ONLY_PUSDATIN),
    "core:job_issues_xlsx": Rule(SCHOOL_EDITOR | ONLY_PUSDATIN),
    # --- help pages (decision 0083): each role its own; Dinas and Pusdatin also the operator's
    # (they answer its questions), Pusdatin every one. /bantuan/ sends each to its own page.
    "help:index": Rule(SIGNED_IN),
    "help:operator": Rule(ANY_OPERATOR | STAFF_READERS),
    "help:dinas": Rule(STAFF_READERS),
    "help:pusdatin": Rule(ONLY_PUSDATIN),
    "help:provider": Rule(ANY_PROVIDER | ONLY_PUSDATIN),
    # --- registry (school pages) ---------------------------------------------------------------------
    "registry:school": Rule(SCHOOL_READERS),
    "registry:confirm": Rule(SCHOOL_EDITOR, method="POST"),
    "registry:row": Rule(SCHOOL_READERS),
    "registry:edit": Rule(SCHOOL_EDITOR),
    "registry:history": Rule(SCHOOL_READERS),
    "registry:download_xlsx": Rule(SCHOOL_READERS),
    "registry:upload": Rule(SCHOOL_EDITOR),
    "registry:preview": Rule(SCHOOL_EDITOR),
    "registry:apply": Rule(SCHOOL_EDITOR, method="POST"),
    "registry:preview_issues_csv": Rule(SCHOOL_EDITOR),
    "registry:preview_issues_xlsx": Rule(SCHOOL_EDITOR),
    "registry:phone_check": Rule(SIGNED_IN),
    "registry:check_number": Rule(SIGNED_IN, method="POST", data=lambda w: {"number": "081234567890"}),
    "validate": Rule(ONLY_PUSDATIN, method="POST"),
    "shared_numbers": Rule(
        SCHOOL_READERS | {OTHER_OPERATOR, OTHER_DINAS_KAB}, note="each sees its own scope"
    ),
    # --- exchange: Pusdatin pages ----------------------------------------------------------------------
    "favicon": Rule(ALL, note="the site icon, for pages without a <link rel=icon>"),
    "healthz": Rule(ALL, note="a load balancer's probe: ok/error and queue counts, no data"),
    "exchange:batches": Rule(ONLY_PUSDATIN),
    "exchange:publish": Rule(ONLY_PUSDATIN, method="POST"),
    "exchange:rotate_token": Rule(ONLY_PUSDATIN, method="POST", data=lambda w: {"provider": "telkomsel"}),
    "exchange:revoke_tokens": Rule(ONLY_PUSDATIN, method="POST", data=lambda w: {"provider": "telkomsel"}),
    "exchange:set_number_format": Rule(
        ONLY_PUSDATIN, method="POST", data=lambda w: {"provider": "telkomsel", "number_format": "e164"}
    ),
    "exchange:new_token": Rule(ONLY_PUSDATIN, note="shows the token the rotation left in the session, once"),
    "exchange:batch": Rule(ONLY_PUSDATIN),
    # --- provider API (Bearer token; the fixture batch and job belong to telkomsel) ----------------------
    "api-v1:openapi-json": Rule(ALL),
    "api-v1:openapi-view": Rule(ALL),
    "api-v1:api-root": Rule(NOBODY, note="ninja's root answers 404 to everyone"),
    "api-v1:list_batches": Rule(ANY_PROVIDER),
    # Each provider its own audit rows (decision 0135).
    "api-v1:list_audit": Rule(ANY_PROVIDER),
    "api-v1:get_batch": Rule(OWN_PROVIDER),
    "api-v1:get_manifest": Rule(OWN_PROVIDER),
    "api-v1:download_batch": Rule(OWN_PROVIDER),
    "api-v1:upload_results": Rule(OWN_PROVIDER, method="POST", data=lambda w: {"file": w.results_file()}),
    "api-v1:get_job": Rule(OWN_PROVIDER),
    "api-v1:get_job_issues": Rule(OWN_PROVIDER),
    "api-v1:list_disbursement_batches": Rule(ANY_PROVIDER),
    "api-v1:list_periods": Rule(ANY_PROVIDER),
    "api-v1:get_reconciliation": Rule(ANY_PROVIDER, note="each provider reads its own recap of the period"),
    "api-v1:put_recap": Rule(ANY_PROVIDER, method="PUT", note="each provider writes its own recap"),
    "api-v1:upload_usage": Rule(
        ANY_PROVIDER, method="POST", note="each provider reports usage of its own numbers"
    ),
    "api-v1:get_disbursement_batch": Rule(OWN_PROVIDER),
    "api-v1:get_disbursement_manifest": Rule(OWN_PROVIDER),
    "api-v1:download_disbursement_batch": Rule(OWN_PROVIDER),
    "api-v1:upload_injection_results": Rule(
        OWN_PROVIDER,
        method="POST",
        data=lambda w: {"file": w.injection_results_file()},
        note="the fixture recipient BERHASIL",
    ),
    "api-v1:get_disbursement_job": Rule(OWN_PROVIDER),
    "api-v1:get_disbursement_job_issues": Rule(OWN_PROVIDER),
    # --- SPTJM (the fixture SPTJM: the fixture school's, printed, scan uploaded, awaiting review) ----------
    # The school's operator prints, uploads, voids; its Dinas and Pusdatin read the page, the PDF and
    # the scan; Pusdatin alone reviews, disburses and reconciles; Dinas sees the late schools in scope.
    "sptjm:school": Rule(SCHOOL_READERS),
    "sptjm:print": Rule(SCHOOL_EDITOR, method="POST", data=lambda w: {"periode": w.open_period.code}),
    "sptjm:pdf": Rule(SCHOOL_EDITOR | ONLY_PUSDATIN, note="lists full numbers: no Dinas (masking rule)"),
    "sptjm:scan": Rule(SCHOOL_EDITOR | ONLY_PUSDATIN, note="lists full numbers: no Dinas (masking rule)"),
    "sptjm:upload": rules(
        Rule(
            SCHOOL_EDITOR,
            method="POST",
            data=lambda w: {"pindaian": w.scan_file(), "version": str(w.sptjm.version)},
        ),
        Rule(SCHOOL_EDITOR, method="POST", note="no file: refused to non-editors before the form is read"),
    ),
    "sptjm:void": Rule(SCHOOL_EDITOR, method="POST", data=lambda w: {"version": str(w.sptjm.version)}),
    "sptjm:review_queue": Rule(ONLY_PUSDATIN),
    "sptjm:review": Rule(ONLY_PUSDATIN),
    "sptjm:approve": Rule(ONLY_PUSDATIN, method="POST", data=lambda w: {"version": str(w.sptjm.version)}),
    "sptjm:return": rules(
        Rule(
            ONLY_PUSDATIN,
            method="POST",
            data=lambda w: {"alasan": "Meterai tidak ada", "version": str(w.sptjm.version)},
        ),
        Rule(ONLY_PUSDATIN, method="POST", note="no reason: the role is refused before the form is judged"),
    ),
    "sptjm:void_closed": Rule(
        ONLY_PUSDATIN,
        method="POST",
        data=lambda w: {"version": str(w.sptjm.version)},
        note="Pusdatin voids a live document of a closed period (decision 0024)",
    ),
    "sptjm:late": Rule(STAFF_READERS, note="each Dinas sees the late schools of its own region"),
    "sptjm:disbursement": Rule(ONLY_PUSDATIN),
    "sptjm:disburse": Rule(ONLY_PUSDATIN, method="POST", data=lambda w: {"periode": w.open_period.code}),
    "sptjm:reconciliation": Rule(ONLY_PUSDATIN),
    "sptjm:reconciliation_csv": Rule(ONLY_PUSDATIN),
    "sptjm:reconciliation_xlsx": Rule(ONLY_PUSDATIN),
    # --- imports (Pusdatin) --------------------------------------------------------------------------
    "imports:upload": Rule(ONLY_PUSDATIN, method="POST"),
    "imports:jobs": Rule(ONLY_PUSDATIN),
    # --- django.contrib.auth at /akun/ ------------------------------------------------------------------
    "login": Rule(ALL),
    "logout": Rule(ALL, method="POST"),
    "password_change": Rule(SIGNED_IN),
    "password_change_done": Rule(SIGNED_IN),
    "password_reset": Rule(ALL),
    "password_reset_done": Rule(ALL),
    "password_reset_confirm": Rule(ALL, note="an invalid link renders the 'link no longer valid' page"),
    "password_reset_complete": Rule(ALL),
    "set_language": Rule(ALL, method="POST", data=lambda w: {"language": "en", "next": "/"}),
    # --- static files served by the app when DEBUG is off ---------------------------------------------
    "static/*": Rule(ALL),
    # --- Django admin: no fixture user is staff ------------------------------------------------------
    "admin:login": Rule(ALL),
    "admin:*": Rule(NOBODY),
    "django-admin/*": Rule(NOBODY),
}


# --- URL keyword arguments ---------------------------------------------------------------------------
# Builders by kwarg name: World -> value. World (tests/security/world.py) holds the fixture users and
# objects (school, other_school, recipient, job, registration, period, batch, provider tokens...).

KWARGS: dict[str, Callable[[Any], Any]] = {
    "npsn": lambda w: w.school.npsn,
    "rid": lambda w: w.recipient.pk,
    "recipient_id": lambda w: w.recipient.pk,
    "job_id": lambda w: w.job.pk,
    "code": lambda w: w.period.code,
    "period_code": lambda w: w.period.code,
    "batch_id": lambda w: w.batch.pk,
    "sptjm_id": lambda w: w.sptjm.pk,
    "uidb64": lambda w: "MQ",
    "token": lambda w: "set-password",
    "path": lambda w: "css/app.css",
    "content_type_id": lambda w: "1",
    "object_id": lambda w: "1",
    "pk": lambda w: "1",
    "app_label": lambda w: "auth",
    "url": lambda w: "nothing/",
}

# Per-route overrides (when one kwarg name means different objects on different routes).
ROUTE_KWARGS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "dashboard:region": {"code": lambda w: w.school.regency_id},
    "accounts:registration_letter": {"pk": lambda w: w.registration.pk},
    "accounts:registration_approve": {"pk": lambda w: w.registration.pk},
    "accounts:registration_reject": {"pk": lambda w: w.registration.pk},
    "accounts:user_deactivate": {"pk": lambda w: w.operator.pk},
    "accounts:user_reactivate": {"pk": lambda w: w.inactive_user.pk},
    "accounts:user_reset_two_factor": {"pk": lambda w: w.inactive_user.pk},
    "accounts:user_resend_invitation": {"pk": lambda w: w.invitee.pk},
    "accounts:user_edit": {"pk": lambda w: w.operator.pk},
    "dashboard:behind_export_file": {"job_id": lambda w: w.export_job.pk},
    "registry:preview": {"job_id": lambda w: w.job.pk},
    "registry:apply": {"job_id": lambda w: w.job.pk},
    "registry:preview_issues_csv": {"job_id": lambda w: w.job.pk},
    "registry:preview_issues_xlsx": {"job_id": lambda w: w.job.pk},
    "api-v1:get_job": {"job_id": lambda w: w.provider_job.pk},
    "api-v1:get_job_issues": {"job_id": lambda w: w.provider_job.pk},
    # Disbursement side of the provider API: telkomsel's disbursement batch and injection job.
    "api-v1:get_disbursement_batch": {"batch_id": lambda w: w.disbursement_batch.pk},
    "api-v1:get_disbursement_manifest": {"batch_id": lambda w: w.disbursement_batch.pk},
    "api-v1:download_disbursement_batch": {"batch_id": lambda w: w.disbursement_batch.pk},
    "api-v1:upload_injection_results": {"batch_id": lambda w: w.disbursement_batch.pk},
    "api-v1:get_disbursement_job": {"job_id": lambda w: w.injection_job.pk},
    "api-v1:get_disbursement_job_issues": {"job_id": lambda w: w.injection_job.pk},
    # Reports and reconciliation of the period that has disbursements (the fixture period).
    "sptjm:reconciliation": {"period_code": lambda w: w.disbursement_batch.period_id},
    "sptjm:reconciliation_csv": {"period_code": lambda w: w.disbursement_batch.period_id},
    "sptjm:reconciliation_xlsx": {"period_code": lambda w: w.disbursement_batch.period_id},
}
