"""Under pytest-xdist, the first worker migrates a template test database; each worker's test
database is a copy of it (decision 0132).

The 90 migrations cost each worker about 6.5 s of CPU, most of it Django rendering the
migration states; a copy costs a tenth of a second. The worker's database is still made by
Django's own `create_test_db`, which then runs `migrate` on the copy: with every migration
already applied that is a check, and it would apply whatever the template missed.

- PostgreSQL: the template is a database (`test_<NAME>_template`), each worker's a `CREATE
  DATABASE ... TEMPLATE` of it (Django's TEST["TEMPLATE"] setting). Copies are made one at a
  time: PostgreSQL refuses to copy a database another session is connected to.
- SQLite: each worker's test database stays in memory (as without the template); the template
  is a file, copied into the worker's memory database with SQLite's backup API.

The workers of one run share pytest's base temporary folder (the controller's; each worker's
own is a folder in it): the template file, a file that says the PostgreSQL template is ready,
and a lock file live there. The last worker to finish with the template drops it; a worker that
comes later builds it again. One process (no xdist) and `--reuse-db` keep pytest-django's own
set-up: there is nothing to share, or the database is kept between runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[dict[str, Any]]:
    """The workers' shared state (who uses the template), read and written under one lock."""
    with open(folder / "testdb.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state_file = folder / "testdb.json"
            state = json.loads(state_file.read_text()) if state_file.exists() else {}
            yield state
            state_file.write_text(json.dumps(state))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class TemplateTestDatabase:
    def __init__(self, folder: Path, worker: str) -> None:
        self.folder = folder
        self.creation = connection.creation
        self.vendor = connection.vendor
        test_name = connection.settings_dict["TEST"]["NAME"] or ""
        if self.vendor == "postgresql":
            # pytest-django named this worker's database test_<NAME>_<worker>.
            self.template = test_name.removesuffix(f"_{worker}") + "_template"
        else:
            self.template = str(folder / "template.sqlite3")
        self.used = False

    @classmethod
    def applies(cls) -> bool:
        """PostgreSQL, or SQLite whose test database lives in memory (the project's settings)."""
        if connection.vendor == "postgresql":
            return True
        name = connection.settings_dict["TEST"]["NAME"]
        return connection.vendor == "sqlite" and name in (None, "", ":memory:")

    def install(self) -> None:
        original = self.creation.create_test_db

        def create_test_db(
            verbosity: int = 1, autoclobber: bool = False, serialize: bool = True, keepdb: bool = False
        ) -> str:
            if keepdb:  # --reuse-db: the worker's own database, kept between runs
                return original(verbosity, autoclobber, serialize, keepdb)
            with _locked(self.folder) as state:
                if not state.get("ready"):
                    self._build(original, verbosity)
                    state["ready"] = True
                state["users"] = state.get("users", 0) + 1
                self.used = True
            copy_into = self._copy_from_template(self.creation._create_test_db)
            self.creation._create_test_db = copy_into  # type: ignore[method-assign]
            try:
                return original(verbosity, autoclobber, serialize, keepdb)
            finally:
                del self.creation._create_test_db

        self.creation.create_test_db = create_test_db  # type: ignore[method-assign]

    def _build(self, create_test_db: Callable[..., str], verbosity: int) -> None:
        """Migrate the template exactly as pytest-django would a worker's database."""
        settings_dict = connection.settings_dict
        real_name, test_name = settings_dict["NAME"], settings_dict["TEST"]["NAME"]
        settings_dict["TEST"]["NAME"] = self.template
        try:
            create_test_db(verbosity, autoclobber=True, serialize=False, keepdb=False)
        finally:
            # Closing a file database also folds its WAL back into the file.
            connection.close()
            settings_dict["NAME"] = settings.DATABASES[connection.alias]["NAME"] = real_name
            settings_dict["TEST"]["NAME"] = test_name

    def _copy_from_template(self, create_empty: Callable[..., str]) -> Callable[..., str]:
        def copy(verbosity: int, autoclobber: bool, keepdb: bool = False) -> str:
            if self.vendor == "postgresql":
                test_settings = connection.settings_dict["TEST"]
                test_settings["TEMPLATE"] = self.template
                try:
                    with _locked(self.folder):
                        return create_empty(verbosity, True, keepdb)
                finally:
                    del test_settings["TEMPLATE"]
            name = create_empty(verbosity, autoclobber, keepdb)
            # A connection still open would be to the real database file: close it before the copy.
            connection.close()
            # The memory database lives as long as a connection to it: Django keeps this one open
            # (it ignores close() on a memory database) for the whole session.
            connection.settings_dict["NAME"] = name
            connection.ensure_connection()
            files = [row[2] for row in connection.connection.execute("PRAGMA database_list")]
            if files != [""]:  # never write the template over a database on disk
                raise RuntimeError("the SQLite test database is not in memory")
            source = sqlite3.connect(self.template)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
            return name

        return copy

    def release(self) -> None:
        """The last worker using the template drops it."""
        if not self.used:
            return
        with _locked(self.folder) as state:
            state["users"] -= 1
            if state["users"] > 0:
                return
            state["ready"] = False
            if self.vendor == "postgresql":
                with self.creation._nodb_cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(self.template)}")
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.template)
