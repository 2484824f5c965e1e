"""htmx (52 KB, 17 KB gzipped) is loaded by exactly the pages that use it (decision 0087).

Every route of the authorization matrix is requested as every role its rules allow (tests/security:
the same paths, fixture objects and requests, rolled back), and every HTML page that comes back is
judged: it loads htmx, with the CSRF header and the network messages app.js needs, if and only if
its content carries an hx-* attribute. A page that starts using htmx without its view saying so
(`uses_htmx`) fails here, and so does one that loads it for nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.factories import RecipientFactory
from tests.security import authz_rules as R
from tests.security.test_authorization_matrix import (  # noqa: F401 - fixtures used by name
    ROUTES,
    _build_path,
    _no_two_factor_no_throttle,
    _request,
    rules_for,
    world,
)
from tests.security.world import World
from verval.core.models import Job

pytestmark = pytest.mark.django_db

SCRIPT = "/static/vendor/htmx.min.js"
# An hx-* attribute in the page's content (the <body> tag's own hx-headers is judged apart).
HX_ATTRIBUTE = re.compile(r"<[a-z][^>]*\shx-[a-z-]+=", re.IGNORECASE)
BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def _judge(page: str) -> tuple[bool, bool]:
    """(the page's content uses htmx, the page loads htmx and what goes with it)."""
    body = BODY_TAG.search(page)
    assert body is not None
    content = page[body.end() :]
    loads = SCRIPT in page
    # What base.html gives a page that loads htmx, all or nothing.
    parts = ("hx-headers=" in body.group(0), 'data-request-timeout="30000"' in body.group(0))
    parts += ('<template id="net-messages">' in content,)
    assert all(parts) if loads else not any(parts), parts
    return bool(HX_ATTRIBUTE.search(content)), loads


def _html(response: Any) -> str | None:
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return None
    page = response.content.decode()
    return page if "<body" in page else None  # a fragment for htmx has no page around it


def test_every_page_loads_htmx_if_and_only_if_it_uses_it(world: World) -> None:  # noqa: F811
    # The fixture school's list has a row, so that its edit links (hx-get) are on the page.
    world.recipient  # noqa: B018
    wrong: list[str] = []
    using: set[str] = set()
    plain: set[str] = set()
    for route in ROUTES:
        if route.is_api:
            continue
        path = _build_path(route, world)
        for rule in rules_for(route.key) or ():
            if rule.data:
                rule.data(world)
            for role in sorted(rule.allow - {R.ANONYMOUS}) + (
                [R.ANONYMOUS] if R.ANONYMOUS in rule.allow else []
            ):
                client = Client()
                with transaction.atomic():
                    if role != R.ANONYMOUS:
                        client.force_login(world.users[role])
                    response = _request(client, rule, path, world, {})
                    transaction.set_rollback(True)
                page = _html(response)
                if page is None:
                    continue
                uses, loads = _judge(page)
                (using if uses else plain).add(route.key)
                if uses != loads:
                    wrong.append(
                        f"{rule.method} {path} as {role}: "
                        + ("uses hx-* without htmx" if uses else "loads htmx and uses no hx-*")
                    )
    assert not wrong, "\n".join(wrong)
    # The walk saw the pages that use htmx, and pages that do not (signed in and public).
    assert {"registry:school", "registry:edit", "registry:phone_check", "core:job"} <= using
    assert {"accounts:home", "sptjm:school", "dashboard:public", "accounts:login", "help:operator"} <= plain


def test_the_operators_home_and_sptjm_page_do_not_load_htmx_and_the_school_page_does(
    client, operator, school
):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    client.force_login(operator)
    for name, args in (("accounts:home", []), ("sptjm:school", [school.npsn])):
        page = client.get(reverse(name, args=args)).content.decode()
        assert SCRIPT not in page and "hx-headers" not in page and "net-messages" not in page, name
    page = client.get(reverse("registry:school", args=[school.npsn])).content.decode()
    assert _judge(page) == (True, True)
    # A search goes by POST; the list it renders without htmx is the same page, with htmx.
    searched = client.post(reverse("registry:school", args=[school.npsn]), {"q": "siapa"}).content.decode()
    assert _judge(searched) == (True, True)


def test_a_running_jobs_page_polls_with_htmx_and_a_finished_ones_loads_none(client, pusdatin):  # type: ignore[no-untyped-def]
    from verval.core.jobs import create_job

    job = create_job(actor=pusdatin, kind="validate", params={})
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, finished_at=None)
    client.force_login(pusdatin)
    url = reverse("core:job", args=[job.pk])
    assert _judge(client.get(url).content.decode()) == (True, True)
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED)
    assert _judge(client.get(url).content.decode()) == (False, False)
