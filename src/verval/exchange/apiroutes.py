"""Declaring and reading the provider API's routes.

- `get_with_head`: a GET endpoint that also answers HEAD with the same headers (a HEAD twin left
  out of the OpenAPI document).
- `state_filter`: the `state` a list is filtered by, or 400 with the allowed values.
- `state_parameter`: what the OpenAPI document says of that `state` query parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Router

from verval.exchange.apierrors import ApiError
from verval.exchange.resultfile import masked_text


def state_filter(state: str | None, allowed: tuple[str, ...]) -> str | None:
    """The `state` a list is filtered by, upper-cased; 400 with the allowed values for any other
    (an unknown state used to answer an empty list, which reads as "nothing there")."""
    if not state:
        return None
    wanted = state.strip().upper()
    if wanted not in allowed:
        choices = ", ".join(allowed)
        raise ApiError(
            "PERMINTAAN_TIDAK_VALID",
            f"Nilai state tidak dikenal. Pilihan: {choices}.",
            f"Unknown state. Allowed: {choices}.",
            rows=[
                {
                    "line": 0,
                    "column": "state",
                    "code": "NILAI_TIDAK_VALID",
                    "message": f"Harus salah satu dari: {choices}.",
                    "message_en": f"Must be one of: {choices}.",
                    "value": masked_text(state)[:40],
                }
            ],
            extra={"allowed": list(allowed)},
        )
    return wanted


def state_parameter(allowed: tuple[str, ...], description: str) -> dict[str, Any]:
    """The `state` query parameter of a list in the OpenAPI document: one of `allowed` (the
    server also takes them in any case, and an empty value as no filter: `allowEmptyValue`);
    another value answers 400. Declared here rather than from the view's signature, which
    documented any string (decision 0032)."""
    return {
        "in": "query",
        "name": "state",
        "required": False,
        "allowEmptyValue": True,
        "schema": {"type": "string", "enum": list(allowed)},
        "description": f"{description}; in any case, empty: no filter; another value answers 400",
    }


def get_with_head(router: Router, path: str, **kwargs: Any) -> Callable[[Any], Any]:
    """Register a GET endpoint that also answers HEAD: the same headers, no body (the body is
    dropped by verval.exchange.middleware). HEAD is its own operation, with its own id, left out
    of the OpenAPI document: every GET there says it answers HEAD too, and a HEAD twin of each
    GET doubled the docs page a provider's engineer reads (RFC 9110 §9.3.2 makes HEAD implied)."""

    def decorator(func: Any) -> Any:
        summary = kwargs.get("summary") or func.__name__
        router.get(path, **{**kwargs, "summary": f"{summary} (also HEAD: headers only)"})(func)
        head = {k: v for k, v in kwargs.items() if k not in ("summary", "operation_id")}
        router.api_operation(
            ["HEAD"],
            path,
            summary=f"{summary} (headers only)",
            operation_id=f"{func.__module__}_{func.__name__}_head".replace(".", "_"),
            include_in_schema=False,
            **head,
        )(func)
        return func

    return decorator
