"""A fresh PostgreSQL database for a benchmark, migrated, with Django set up (shared by the
bench_*.py scripts that load their own data)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fresh_database(url: str) -> None:
    """Drop and create the database at `url`, point Django at it (file store under var/), set
    Django up and migrate. Call before importing any model."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    os.environ["VERVAL_DATA_DIR"] = str(ROOT / "var" / "bench-files")
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_database(url: str) -> None:
    from django.db import connection

    connection.close()
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
