"""Single-record changes mark their school dirty, so the aggregates follow without each action
having to remember it. Two hooks: post_save of the rows the dashboard counts, and post_save of
the audit row every action writes (actions often use conditional UPDATEs, which fire no signal;
their audit row names the school). Bulk paths (bulk_create / UPDATE ... in jobs) fire no signals: they are
covered by `services.refresh_after_job`, called from core.jobs.run.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models.signals import post_delete, post_save


def _school_of(instance: Any) -> str:
    return getattr(instance, "school_id", "") or ""


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    npsn = _school_of(instance)
    if npsn:
        from verval.dashboard.services import mark_dirty

        mark_dirty([npsn])


def _audited(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if created and instance.school_id and not instance.action.startswith(("download", "view", "login")):
        from verval.dashboard.services import mark_dirty

        mark_dirty([instance.school_id])


# (app_label, model) pairs whose rows carry a school_id and feed the dashboard.
WATCHED = [("registry", "Recipient"), ("sptjm", "Sptjm"), ("sptjm", "Disbursement")]


def connect() -> None:
    post_save.connect(
        _audited, sender=apps.get_model("core", "AuditEvent"), dispatch_uid="dashboard-dirty-audit"
    )
    for app_label, name in WATCHED:
        try:
            model = apps.get_model(app_label, name)
        except LookupError:
            continue
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboard-dirty-{app_label}-{name}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboard-dirty-del-{app_label}-{name}")
