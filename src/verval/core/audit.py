"""Audit rows: written by actions in the same transaction as the change they record.

Numbers in audit rows are masked: actions write masked values in `before` / `after`
(`verval.phones.mask`), and the note, which often holds what a person typed (a reason, a file's
name), is masked here (decision 0086).

Where a row came from (`AuditEvent.via`, decision 0138) is set once per request, command or job in
a context variable, and `record` reads it: `web` (a request to the pages), `api` (a provider
token's call), `cli:<OS login>` (the `verval` command line; `SUDO_USER` when set), `job:<origin>`
(a background job, with the origin of whoever queued it: `job:web`, `job:cli:root`) and `system`
(the worker's own rounds, anything else). Callers of `record` do not change."""

from __future__ import annotations

import contextlib
import getpass
import os
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from verval.core.logging import masked_numbers
from verval.core.models import AuditEvent

WEB = "web"
API = "api"
SYSTEM = "system"
VIA_MAX = 64  # AuditEvent.via's max_length
LOGIN_MAX = 32

_via: ContextVar[str] = ContextVar("verval_audit_via", default=SYSTEM)


def current_via() -> str:
    """Where the rows written now come from (`system` when nothing set it)."""
    return _via.get()


@contextlib.contextmanager
def acting_via(via: str) -> Iterator[str]:
    """Rows written inside the block say `via` (the previous origin is back after it)."""
    token = _via.set(clean_via(via))
    try:
        yield _via.get()
    finally:
        _via.reset(token)


def set_via(via: str) -> None:
    """For a whole process (the command line's entry point, a worker): no reset."""
    _via.set(clean_via(via))


def clean_via(via: str) -> str:
    """At most VIA_MAX characters of [A-Za-z0-9._:-] (and the * of a masked number), a phone
    number in it masked (as a note's)."""
    cleaned = re.sub(r"[^A-Za-z0-9._:*-]", "_", via or "")[:VIA_MAX] or SYSTEM
    return masked_numbers(cleaned) if sum(c.isdigit() for c in cleaned) >= 7 else cleaned


def os_login() -> str:
    """The OS account that runs the command: the one that called sudo when there is one (`sudo
    verval ...` names the person's login, not root), else the process's own. [A-Za-z0-9._-], at
    most 32 characters; an account name is a name like a user name, never a phone number: one
    with seven digits or more goes through the notes' masking (`0812****7890`)."""
    login = os.environ.get("SUDO_USER", "").strip()
    if not login:
        try:
            login = getpass.getuser()
        except Exception:  # noqa: BLE001 - no name for this uid (a container's numeric user)
            login = ""
    login = re.sub(r"[^A-Za-z0-9._-]", "_", login)[:LOGIN_MAX]
    if sum(c.isdigit() for c in login) >= 7:
        login = masked_numbers(login)
    return login or "unknown"


def cli_via() -> str:
    return f"cli:{os_login()}"


def job_via(origin: str) -> str:
    """A job's rows: `job:` and the origin of whoever queued it (`system` when none was kept)."""
    return f"job:{origin or SYSTEM}"


def job_origin() -> str:
    """The origin a job queued now keeps: the current one, without a `job:` of a job that queues
    another (a dump queued by a validation run queued from the page is `job:web`, not
    `job:job:web`)."""
    via = current_via()
    while via.startswith("job:"):
        via = via[len("job:") :]
    return via or SYSTEM


def record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    school_id: str = "",
    region_code: str = "",
    provider: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
    ip: str | None = None,
) -> AuditEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        school_id=school_id or "",
        region_code=region_code or "",
        provider=provider or "",
        before=before,
        after=after,
        note=masked_numbers(note) if note else note,
        ip=ip,
        via=current_via(),
    )
