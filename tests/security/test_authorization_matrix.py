"""Authorization matrix, generated from the URL configuration × every role (rules: authz_rules.py).

Every route of the project (apps, provider API, contrib.auth, admin) is requested as every role and
the outcome (allowed / refused) must match the route's rule. A new route without a rule fails
`test_every_route_has_an_authorization_rule`, which names exactly the missing routes.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security import authz_rules as R
from tests.security.world import World


@dataclass(frozen=True)
class Route:
    key: str  # "ns:name", or the route string for an unnamed route
    route: str  # full route string, e.g. "sekolah/<str:npsn>/"
    named: bool

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route) + re.findall(r"\(\?P<(\w+)>", self.route)


def _walk(patterns: list[Any], prefix: str = "", ns: str | None = None) -> list[Route]:
    found: list[Route] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            child_ns = ns
            if p.namespace:
                child_ns = f"{ns}:{p.namespace}" if ns else p.namespace
            found += _walk(p.url_patterns, prefix + str(p.pattern), child_ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            if p.name:
                found.append(Route(f"{ns}:{p.name}" if ns else p.name, route, True))
            else:
                found.append(Route(route, route, False))
    return found


def all_routes() -> list[Route]:
    seen: dict[str, Route] = {}
    for r in _walk(get_resolver().url_patterns):
        # The same name may serve several patterns (rare); the first one is what reverse() uses.
        seen.setdefault(r.key, r)
    return list(seen.values())


def rules_for(key: str) -> tuple[R.Rule, ...] | None:
    rule = R.RULES.get(key)
    if rule is None:
        for pattern, candidate in R.RULES.items():
            if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(key, pattern):
                rule = candidate
                break
    if rule is None:
        return None
    return rule if isinstance(rule, tuple) else (rule,)


ROUTES = all_routes()


def test_every_route_has_an_authorization_rule() -> None:
    missing = sorted(r.key for r in ROUTES if rules_for(r.key) is None)
    assert not missing, (
        "Routes without an authorization rule — add them to tests/security/authz_rules.py RULES:\n  "
        + "\n  ".join(missing)
    )


def test_every_route_kwarg_has_a_builder() -> None:
    missing = sorted(
        f"{r.key} needs <{kw}>"
        for r in ROUTES
        for kw in r.kwargs
        if kw not in R.ROUTE_KWARGS.get(r.key, {}) and kw not in R.KWARGS
    )
    assert not missing, (
        "URL kwargs without a builder — add to KWARGS or ROUTE_KWARGS in authz_rules.py:\n  "
        + "\n  ".join(missing)
    )


def test_rules_name_no_route_that_does_not_exist() -> None:
    keys = {r.key for r in ROUTES}
    stale = sorted(k for k in R.RULES if not any(c in k for c in "*?[") and k not in keys)
    assert not stale, "RULES entries for routes that no longer exist: " + ", ".join(stale)


# --- the matrix ------------------------------------------------------------------------------------


def _build_path(route: Route, world: World) -> str:
    values = {}
    for kw in route.kwargs:
        builder = R.ROUTE_KWARGS.get(route.key, {}).get(kw) or R.KWARGS.get(kw)
        if builder is None:
            pytest.fail(f"{route.key}: no builder for URL kwarg <{kw}> (authz_rules.KWARGS)")
        values[kw] = str(builder(world))
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route.route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], path)
    path = path.replace("^", "").replace("$", "")
    return "/" + path


REFUSAL_REDIRECTS = (settings.LOGIN_URL, "/django-admin/login/", "/akun/login/")
REDIRECTS = (301, 302, 303, 307, 308)


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code in REDIRECTS:
        location = urlsplit(response["Location"]).path
        return location.startswith(REFUSAL_REDIRECTS)
    return False


def _request(client: Client, rule: R.Rule, path: str, world: World, headers: dict[str, str]) -> Any:
    if rule.query:
        path = f"{path}?{urlencode(rule.query(world))}"
    method = rule.method.upper()
    if method == "GET":
        # A GET that redirects is judged by where it lands (same site, a few hops): a redirect to a
        # page the role may not see is a refusal. POSTs are judged by their own answer.
        response = client.get(path, headers=headers)
        for _hop in range(3):
            if response.status_code not in REDIRECTS or _refused(response):
                break
            target = urlsplit(response["Location"])
            if target.netloc and target.netloc != "testserver":
                break
            response = client.get(target.path + (f"?{target.query}" if target.query else ""), headers=headers)
        return response
    if method == "HEAD":
        return client.head(path, headers=headers)
    data = rule.data(world) if rule.data else {}
    if method == "POST":
        return client.post(path, data, headers=headers)
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return client.generic(
        method, path, encode_multipart(BOUNDARY, data), content_type=MULTIPART_CONTENT, headers=headers
    )


@pytest.fixture
def world(
    school,
    other_school,
    operator,
    other_operator,
    dinas_kab,
    other_dinas_kab,
    dinas_prov,
    pusdatin,
    provider_user,
    other_provider_user,
):  # type: ignore[no-untyped-def]
    users = {
        R.OPERATOR: operator,
        R.OTHER_OPERATOR: other_operator,
        R.DINAS_KAB: dinas_kab,
        R.OTHER_DINAS_KAB: other_dinas_kab,
        R.DINAS_PROV: dinas_prov,
        R.PUSDATIN: pusdatin,
        R.PROVIDER: provider_user,
        R.OTHER_PROVIDER: other_provider_user,
    }
    return World(school=school, other_school=other_school, users=users)


@pytest.fixture(autouse=True)
def _no_two_factor_no_throttle(settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "REQUIRE_TWO_FACTOR": False}
    from django.core.cache import cache

    cache.clear()


RULED = [r for r in ROUTES if rules_for(r.key) is not None]


def _checked_rules(route: Route) -> tuple[R.Rule, ...]:
    """The route's rules, and for the provider API a HEAD twin of each GET rule: every API GET
    answers HEAD with the same headers (verval.exchange.apiroutes.get_with_head), and a HEAD that
    passed the scope check where its GET does not would tell another provider which batches exist."""
    found = rules_for(route.key) or ()
    if not route.is_api or any(r.method.upper() == "HEAD" for r in found):
        return found
    return found + tuple(
        R.Rule(r.allow, method="HEAD", query=r.query, note="implied by GET")
        for r in found
        if r.method.upper() == "GET"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("route", RULED, ids=[r.key for r in RULED])
def test_route_answers_each_role_as_its_rule_says(route: Route, world: World) -> None:
    path = _build_path(route, world)
    # Build everything lazily created outside the per-role transactions (they are rolled back).
    if route.is_api:
        world.tokens  # noqa: B018
    for rule in _checked_rules(route):
        if rule.data:
            rule.data(world)
        if rule.query:
            rule.query(world)
    wrong: list[str] = []
    for rule in _checked_rules(route):
        for role in R.ROLES:
            headers: dict[str, str] = {}
            client = Client()
            with transaction.atomic():
                if role != R.ANONYMOUS:
                    user = world.users[role]
                    if route.is_api and role in (R.PROVIDER, R.OTHER_PROVIDER):
                        headers["Authorization"] = f"Bearer {world.tokens[role]}"
                    else:
                        client.force_login(user)
                response = _request(client, rule, path, world, headers)
                transaction.set_rollback(True)
            if response.status_code == 405:
                wrong.append(f"{rule.method} {path} as {role}: 405 — the rule's method is wrong")
                continue
            if response.status_code >= 500:
                wrong.append(f"{rule.method} {path} as {role}: server error {response.status_code}")
                continue
            allowed = not _refused(response)
            expected = role in rule.allow
            if allowed != expected:
                where = response.get("Location", "")
                wrong.append(
                    f"{rule.method} {path} as {role}: expected {'allowed' if expected else 'refused'}, "
                    f"got {response.status_code}{' -> ' + where if where else ''}"
                )
    assert not wrong, f"{route.key}:\n  " + "\n  ".join(wrong)


def test_matrix_sees_the_provider_api_routes() -> None:
    assert any(
        r.key.startswith("api-v1:") and r.key not in ("api-v1:openapi-json", "api-v1:openapi-view")
        for r in ROUTES
    )
