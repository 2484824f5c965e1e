"""The task worker stays quiet in `make run`; values shown back keep numbers masked."""

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


def test_a_value_shown_back_masks_a_number_typed_with_a_bracketed_prefix_whole() -> None:
    from verval.core.logging import masked_value

    assert masked_value("dialihkan ke (0812) 3456.7890 milik wali") == "dialihkan ke 0812****7890 milik wali"
    assert masked_value("(+62) 812-3456-7890") == "0812****7890"
    assert masked_value("kelas (1) 2") == "kelas (1) 2"


def test_verval_worker_keeps_the_configured_levels_at_the_default_verbosity() -> None:
    # `make run` starts `verval worker` at verbosity 1, where db_worker itself would set its
    # loggers to INFO and print a line per task start and end (seen again in `make run`).
    from verval.core.management.commands.worker import Command

    worker = logging.getLogger("django_tasks_db")
    tasks = logging.getLogger("django_tasks")
    before = (worker.level, tasks.level)
    try:
        Command().configure_logging(1)
        assert (worker.getEffectiveLevel(), tasks.getEffectiveLevel()) == (logging.WARNING, logging.WARNING)
        Command().configure_logging(2)
        assert (worker.getEffectiveLevel(), tasks.getEffectiveLevel()) == (logging.DEBUG, logging.DEBUG)
    finally:
        worker.setLevel(before[0])
        tasks.setLevel(before[1])
