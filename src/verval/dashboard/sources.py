"""Where the dashboard's facts come from: SQL over the tables of the other apps.

Each source is optional: a table that does not exist yet (an app without its migration) simply
contributes nothing, so the dashboard works while the rest of the product is being built.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db import connection

# Level group of a school, from its bentuk (and the recipient's PAUD category).
LEVELS = ["PAUD", "SD", "SMP", "SMA", "SMK", "SLB", "KESETARAAN", "LAINNYA"]
_BENTUK = {
    "PAUD": ("TK", "KB", "TPA", "SPS", "RA", "PAUD"),
    "SD": ("SD", "MI"),
    "SMP": ("SMP", "MTS"),
    "SMA": ("SMA", "MA"),
    "SMK": ("SMK", "MAK"),
    "SLB": ("SLB", "SDLB", "SMPLB", "SMLB", "SMALB", "TKLB"),
    "KESETARAAN": ("PKBM", "SKB", "KESETARAAN", "PAKET A", "PAKET B", "PAKET C"),
}
SPTJM_RANK = {"DICETAK": 1, "DIKEMBALIKAN": 2, "DIUNGGAH": 3, "DISETUJUI": 4}
# The document that says what a school still has to do for a period (SchoolSptjm.state, the
# late-schools page): one waiting for its scan (returned, then printed) before any uploaded or
# approved one. A school with an approved SPTJM and a second one of new numbers printed and not
# uploaded is late to upload it (decision 0119); by SPTJM_RANK it was "approved" and late nowhere.
STEP_RANK = {"DIUNGGAH": 1, "DISETUJUI": 2, "DICETAK": 3, "DIKEMBALIKAN": 4}
# A document of these holds the school's print: printing returns it (sptjm.models.LIVE_STATUSES).
LIVE = ("DICETAK", "DIUNGGAH", "DIKEMBALIKAN")


def level_sql(bentuk: str, category: str) -> str:
    parts = [f"WHEN {category} = 'PAUD' THEN 'PAUD'"]
    for level, forms in _BENTUK.items():
        quoted = ",".join(f"'{f}'" for f in forms)
        parts.append(f"WHEN UPPER({bentuk}) IN ({quoted}) THEN '{level}'")
    return "CASE " + " ".join(parts) + " ELSE 'LAINNYA' END"


def q(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@lru_cache(maxsize=1)
def _tables() -> frozenset[str]:
    return frozenset(connection.introspection.table_names())


def reset_table_cache() -> None:
    _tables.cache_clear()


def model_if_present(app_label: str, name: str) -> Any | None:
    try:
        model = apps.get_model(app_label, name)
    except LookupError:
        return None
    if model._meta.db_table not in _tables():
        _tables.cache_clear()  # migrated since we looked?
        if model._meta.db_table not in _tables():
            return None
    return model


def school_filter(column: str, npsns: list[str] | None) -> tuple[str, list[Any]]:
    if npsns is None:
        return "", []
    return f" AND {column} IN ({','.join(['%s'] * len(npsns))})", list(npsns)


def recipient_select(npsns: list[str] | None) -> tuple[str, list[Any]]:
    """R facts: every active recipient by school dims, status, reason and whether it was sent."""
    from verval.reference.models import School
    from verval.registry.models import Recipient

    dump_item = model_if_present("exchange", "DumpItem")
    if dump_item is not None:
        sent_join = f" LEFT JOIN {q(dump_item)} d ON d.recipient_id = r.id AND d.is_open = %s"
        sent_params: list[Any] = [True]
        sent = "CASE WHEN r.status IN ('AKTIF','RESIDU') THEN TRUE WHEN r.status = 'MENUNGGU_PROVIDER' AND d.id IS NOT NULL THEN TRUE ELSE FALSE END"
    else:
        sent_join, sent_params = "", []
        sent = "CASE WHEN r.status IN ('AKTIF','RESIDU') THEN TRUE ELSE FALSE END"
    where, params = school_filter("r.school_id", npsns)
    # Aggregate on the recipients' own columns first (cheap hash keys, no join per row), then
    # attach the school and derive its level on the few groups that remain.
    reason = "CASE WHEN r.status IN ('FORMAT_SALAH','RESIDU') THEN r.reason ELSE '' END"
    sql = f"""
        SELECT sc.npsn, sc.regency_id, sc.province_id, {level_sql("sc.bentuk", "x.category")}, x.kind, x.operator,
               'R', x.status, x.reason, x.sent, '', SUM(x.n)
        FROM (SELECT r.school_id, r.category, r.kind, r.operator, r.status, {reason} AS reason, {sent} AS sent, COUNT(*) AS n
              FROM {q(Recipient)} r{sent_join}
              WHERE r.active = %s{where}
              GROUP BY r.school_id, r.category, r.kind, r.operator, r.status, {reason}, {sent}) x
        JOIN {q(School)} sc ON sc.npsn = x.school_id
        GROUP BY sc.npsn, sc.regency_id, sc.province_id, {level_sql("sc.bentuk", "x.category")}, x.kind, x.operator,
                 x.status, x.reason, x.sent"""  # noqa: S608
    return sql, [*sent_params, True, *params]


def sptjm_select(npsns: list[str] | None) -> tuple[str, list[Any]] | None:
    """S facts: per period, every recipient on a non-voided SPTJM with the best status it reached."""
    from verval.reference.models import School

    sptjm = model_if_present("sptjm", "Sptjm")
    item = model_if_present("sptjm", "SptjmItem")
    if sptjm is None or item is None:
        return None
    rank = "CASE s.status " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in SPTJM_RANK.items()) + " ELSE 0 END"
    status = "CASE x.rk " + " ".join(f"WHEN {v} THEN '{k}'" for k, v in SPTJM_RANK.items()) + " ELSE '' END"
    kind = "CASE WHEN x.category = 'PTK' THEN 'PTK' ELSE 'PD' END"
    where, params = school_filter("s.school_id", npsns)
    sql = f"""
        SELECT sc.npsn, sc.regency_id, sc.province_id, {level_sql("sc.bentuk", "x.category")}, {kind}, x.operator,
               'S', {status}, '', FALSE, x.period_id, COUNT(*)
        FROM (SELECT i.recipient_id, i.period_id, s.school_id, MAX(i.operator) AS operator,
                     MAX(i.category) AS category, MAX({rank}) AS rk
              FROM {q(item)} i JOIN {q(sptjm)} s ON s.id = i.sptjm_id
              WHERE s.status <> 'DIBATALKAN'{where}
              GROUP BY i.recipient_id, i.period_id, s.school_id) x
        JOIN {q(School)} sc ON sc.npsn = x.school_id
        GROUP BY sc.npsn, sc.regency_id, sc.province_id, {level_sql("sc.bentuk", "x.category")}, {kind}, x.operator,
                 {status}, x.period_id"""  # noqa: S608
    return sql, params


# S facts of recipients carried into a period by an SPTJM approved in an earlier one (decision 0024).
CARRIED = "DIBAWA"


def carried_select(npsns: list[str] | None) -> tuple[str, list[Any]] | None:
    """S facts with status DIBAWA: per period whose policy asks an SPTJM only for new or changed
    numbers (2021), the AKTIF recipients covered without a document of that period — an item
    approved in an earlier period lists their current number (docs/sptjm.md, "Covered"). They
    count as printed, uploaded and approved for that period; the funnel also shows them apart.

    The recipients are grouped first by the start of the earliest period that approved their
    current number (a handful of dates), then joined with the periods starting after it, so the
    cost grows with the recipients, not with recipients x periods."""
    from verval.reference.models import Period, QuotaPolicy, School
    from verval.registry.models import Recipient

    item = model_if_present("sptjm", "SptjmItem")
    if item is None:
        return None
    if not Period.objects.filter(policy__sptjm_only_changed=True).exists():
        # No period to carry into (no 2021 policy): the statement's last join keeps no row, after
        # grouping every approved item and joining every AKTIF recipient (8 backend CPU-s of the
        # full refresh at national size, decision 0130).
        return None
    kind = "CASE WHEN x.category = 'PTK' THEN 'PTK' ELSE 'PD' END"
    where, params = school_filter("r.school_id", npsns)
    # A school's refresh: the approved items of its own recipients only, the groups its
    # recipients join. Without it PostgreSQL grouped every approved item of the nation for one
    # school (660,000 at national size, 4.8 s spilling to disk; decision 0130); the same rows.
    own_items, own_params = "", []
    if npsns is not None:
        own_items = f" AND i.recipient_id IN (SELECT r2.id FROM {q(Recipient)} r2 WHERE r2.school_id IN ({','.join(['%s'] * len(npsns))}))"  # noqa: S608
        own_params = list(npsns)
    sql = f"""
        SELECT sc.npsn, sc.regency_id, sc.province_id, {level_sql("sc.bentuk", "x.category")}, {kind}, x.operator,
               'S', '{CARRIED}', '', FALSE, p.code, SUM(x.n)
        FROM (SELECT r.school_id, r.category, r.operator, c.first_start, COUNT(*) AS n
              FROM {q(Recipient)} r
              JOIN (SELECT i.recipient_id, i.phone_e164, MIN(ip.starts_on) AS first_start
                    FROM {q(item)} i JOIN {q(Period)} ip ON ip.code = i.period_id
                    WHERE i.approved = %s{own_items}
                    GROUP BY i.recipient_id, i.phone_e164) c
                ON c.recipient_id = r.id AND c.phone_e164 = r.phone_e164
              WHERE r.active = %s AND r.status = 'AKTIF' AND r.phone_e164 <> ''{where}
              GROUP BY r.school_id, r.category, r.operator, c.first_start) x
        JOIN {q(Period)} p ON p.starts_on > x.first_start
        JOIN {q(QuotaPolicy)} pol ON pol.code = p.policy_id AND pol.sptjm_only_changed = %s
        JOIN {q(School)} sc ON sc.npsn = x.school_id
        GROUP BY sc.npsn, sc.regency_id, sc.province_id, {level_sql("sc.bentuk", "x.category")}, {kind}, x.operator,
                 p.code"""  # noqa: S608
    return sql, [True, *own_params, True, *params, True]


def sptjm_facts_select(
    npsns: list[str] | None, period: str, covering: list[str] | None = None
) -> tuple[str, list[Any]] | None:
    """The rows of SchoolSptjm (decision 0105): every school of reference.School (of `npsns`),
    with `period, state, to_print`.

    `state`: the non-voided document of `period` that says what the school still has to do, by
    STEP_RANK (a returned or printed one before an uploaded or approved one, decision 0119), as
    `sptjm.selectors._states` ranks them. `to_print`: how many recipients the school's print of
    `period` would list now (`sptjm.actions.print_sptjm`): none while a document of `period` is
    live (printed, uploaded, returned: the print returns it), else its print candidates
    (`sptjm.selectors.print_candidates`) — an active AKTIF recipient with a number, not locked,
    whose current number no approved item of the `covering` periods lists
    (`services.covering_periods`: `period`, and under a 2021 policy every earlier one, whose
    approved numbers are carried; decision 0116) and that no live document of `period` lists. A
    school whose documents of `period` are all approved counts its new numbers too (decision 0122).

    The candidates are counted set-based, one grouped read of the AKTIF recipients (of `npsns`)
    with two anti-joins on the SPTJM items, not a probe per school: before decision 0122 only the
    schools without a document were probed (44,116 of the nation's 440,000, decision 0105); the
    schools with only approved documents are most of the rest."""
    from verval.reference.models import School
    from verval.registry.models import Recipient

    sptjm = model_if_present("sptjm", "Sptjm")
    item = model_if_present("sptjm", "SptjmItem")
    if sptjm is None or item is None:
        return None
    rank = "CASE s.status " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in STEP_RANK.items()) + " ELSE 0 END"
    state = "CASE d.rk " + " ".join(f"WHEN {v} THEN '{k}'" for k, v in STEP_RANK.items()) + " ELSE '' END"
    live = ",".join(f"'{s}'" for s in LIVE)
    covering = covering or [period]
    docs_where, docs_params = school_filter("s.school_id", npsns)
    recipients_where, recipients_params = school_filter("r.school_id", npsns)
    where, params = school_filter("sc.npsn", npsns)
    # A school's refresh: the items of its own recipients only. Without it PostgreSQL hashed every
    # live and every approved item of the period for 100 schools (0.2 s at 300,000 recipients,
    # growing with the nation's items, not with the schools'); the same rows either way.
    own_items, own_params = "", []
    if npsns is not None:
        own_items = f" AND {{alias}}.recipient_id IN (SELECT r2.id FROM {q(Recipient)} r2 WHERE r2.school_id IN ({','.join(['%s'] * len(npsns))}))"  # noqa: S608
        own_params = list(npsns)
    candidates = f"""SELECT r.school_id, COUNT(*) AS n FROM {q(Recipient)} r
            WHERE r.active = %s AND r.status = 'AKTIF' AND r.phone_e164 <> '' AND r.locked = %s{recipients_where}
              AND NOT EXISTS (SELECT 1 FROM {q(item)} ci WHERE ci.recipient_id = r.id
                              AND ci.period_id IN ({",".join(["%s"] * len(covering))})
                              AND ci.approved = %s AND ci.phone_e164 = r.phone_e164{own_items.format(alias="ci")})
              AND NOT EXISTS (SELECT 1 FROM {q(item)} li JOIN {q(sptjm)} ls ON ls.id = li.sptjm_id
                              WHERE li.recipient_id = r.id AND ls.period_id = %s AND ls.status IN ({live}){own_items.format(alias="li")})
            GROUP BY r.school_id"""  # noqa: S608
    sql = f"""
        SELECT sc.npsn, %s, {state}, CASE WHEN d.live > 0 THEN 0 ELSE COALESCE(c.n, 0) END
        FROM {q(School)} sc
        LEFT JOIN (SELECT s.school_id, MAX({rank}) AS rk,
                          MAX(CASE WHEN s.status IN ({live}) THEN 1 ELSE 0 END) AS live
                   FROM {q(sptjm)} s
                   WHERE s.period_id = %s AND s.status <> 'DIBATALKAN'{docs_where}
                   GROUP BY s.school_id) d ON d.school_id = sc.npsn
        LEFT JOIN ({candidates}) c ON c.school_id = sc.npsn
        WHERE 1 = 1{where}"""  # noqa: S608
    return sql, [
        period,
        period,
        *docs_params,
        True,
        False,
        *recipients_params,
        *covering,
        True,
        *own_params,
        period,
        *own_params,
        *params,
    ]


def disbursement_select(npsns: list[str] | None) -> tuple[str, list[Any]] | None:
    """D facts: recipients per period and disbursement status (their current rows, decision 0021)."""
    from verval.reference.models import School

    disb = model_if_present("sptjm", "Disbursement")
    if disb is None:
        return None
    kind = "CASE WHEN d.category = 'PTK' THEN 'PTK' ELSE 'PD' END"
    where, params = school_filter("d.school_id", npsns)
    sql = f"""
        SELECT sc.npsn, sc.regency_id, sc.province_id, {level_sql("sc.bentuk", "d.category")}, {kind}, d.provider,
               'D', d.status, '', FALSE, d.period_id, COUNT(*)
        FROM {q(disb)} d JOIN {q(School)} sc ON sc.npsn = d.school_id
        WHERE d.is_current{where}
        GROUP BY sc.npsn, sc.regency_id, sc.province_id, {level_sql("sc.bentuk", "d.category")}, {kind}, d.provider,
                 d.status, d.period_id"""  # noqa: S608
    return sql, params


def fact_selects(npsns: list[str] | None) -> list[tuple[str, list[Any]]]:
    out = [recipient_select(npsns)]
    for extra in (sptjm_select(npsns), carried_select(npsns), disbursement_select(npsns)):
        if extra is not None:
            out.append(extra)
    return out
