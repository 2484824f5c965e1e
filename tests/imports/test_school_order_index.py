"""PostgreSQL: the school page's index compares names in code point order (COLLATE "C",
decision 0046), a first load builds it again as it found it, and the school page's queries
still use it."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.imports.helpers import NPSN, many, write
from verval.core.models import Job
from verval.imports import services
from verval.imports.actions import import_file
from verval.registry import selectors
from verval.registry.models import Recipient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SCHOOL_ORDER = (
    "CREATE INDEX recipient_school_order ON public.registry_recipient USING btree "
    '(school_id, kind, grade, name COLLATE "C")'
)


def _indexdef(name: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        return cur.fetchone()[0]


def _plan(qs) -> str:  # type: ignore[no-untyped-def]
    with connection.cursor() as cur:
        # The test's rows are few; without this PostgreSQL reads the table instead. An index
        # the query cannot use (a collation that does not match) leaves a Seq Scan even so.
        cur.execute("SET LOCAL enable_seqscan = off")
    return qs.explain()


def test_school_order_index_compares_names_in_code_point_order() -> None:
    assert _indexdef("recipient_school_order") == SCHOOL_ORDER
    # The column keeps the database's collation: only the index changed.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_name = 'registry_recipient' AND column_name = 'name'"
        )
        assert cur.fetchone()[0] is None


def test_first_load_builds_the_school_order_index_again_in_code_point_order(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    job = import_file(write(tmp_path / "a.csv", many(60)))
    assert (job.state, job.counts["added"]) == (Job.State.SUCCEEDED, 60)
    assert _indexdef("recipient_school_order") == SCHOOL_ORDER


def test_school_page_queries_use_the_school_order_index(tmp_path, pusdatin):  # type: ignore[no-untyped-def]
    import_file(write(tmp_path / "a.csv", many(60)))
    base = selectors.school_recipients(pusdatin, NPSN)
    page = base.only("id", "name").order_by("kind", "grade", "name", "id")[0:50]
    plan = _plan(page)
    assert "recipient_school_order" in plan, plan
    assert "Seq Scan" not in plan, plan
    # The count above the list, and the registry's default order (Recipient.Meta.ordering).
    for qs in (base.order_by(), Recipient.objects.filter(school_id=NPSN)):
        plan = _plan(qs)
        assert "recipient_school_order" in plan, plan
    # The names of one grade keep the database's order (the query does not say COLLATE).
    assert [r.name for r in page][:3] == ["Siswa 0", "Siswa 12", "Siswa 18"]
