"""The task worker's routine lines stay out of the `make run` terminal; its failures do not."""

from __future__ import annotations

import logging


def test_the_database_workers_start_and_end_lines_are_quiet_but_its_warnings_show() -> None:
    # db_worker logs "Task id=… state=RUNNING/SUCCESSFUL" at INFO under "django_tasks_db": dozens a
    # minute in the demo, pushing the printed accounts off the screen (seen in `make run`).
    worker = logging.getLogger("django_tasks_db")  # the name db_worker logs under
    assert worker.getEffectiveLevel() == logging.WARNING
    assert not worker.isEnabledFor(logging.INFO)
    assert worker.isEnabledFor(logging.WARNING)
    assert logging.getLogger("django_tasks").getEffectiveLevel() == logging.WARNING
