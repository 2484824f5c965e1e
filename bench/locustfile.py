"""Load test: 50 concurrent school operators reading and correcting numbers (locust).

locust is NOT a project dependency. To run (see docs/security.md § Load test):

    .venv/bin/pip install locust
    # 1. accounts: one operator per school for the first 50 schools that have recipients
    .venv/bin/python bench/locustfile.py --make-operators 50 --password Bench-Operator-1 --out var/bench-operators.csv
    # 2. the server (another terminal): make run   (or: .venv/bin/verval serve --port 8000)
    # 3. optionally start a 10 M-row dump at the same time (the SPEC §9 scenario):
    #    .venv/bin/verval dump --json &
    # 4. the load:
    VERVAL_BENCH_OPERATORS=var/bench-operators.csv .venv/bin/locust -f bench/locustfile.py \
        --host http://127.0.0.1:8000 --users 50 --spawn-rate 5 --run-time 5m --headless --csv var/locust

Each simulated operator signs in once, then mostly reads its school page (filters, paging),
sometimes opens the edit form of a row and saves a new number (with the row's version, as the
browser does), and now and then checks the home page and the number checker.
"""

from __future__ import annotations

import csv
import os
import random
import re
import sys
from itertools import cycle
from pathlib import Path

ROW_RE = re.compile(r'id="r([0-9a-f-]{36})"')
VERSION_RE = re.compile(r'name="versi" value="(\d+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _operators() -> list[dict[str, str]]:
    path = Path(os.environ.get("VERVAL_BENCH_OPERATORS", "var/bench-operators.csv"))
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


try:
    from locust import HttpUser, between, task
except ImportError:  # the account helper below runs without locust
    HttpUser = None  # type: ignore[assignment,misc]

if HttpUser is not None:
    _ACCOUNTS = (
        cycle(_operators())
        if Path(os.environ.get("VERVAL_BENCH_OPERATORS", "var/bench-operators.csv")).exists()
        else None
    )

    class SchoolOperator(HttpUser):  # type: ignore[misc,valid-type]
        wait_time = between(1, 5)  # a person reading a page, not a script hammering it

        def on_start(self) -> None:
            if _ACCOUNTS is None:
                raise RuntimeError("set VERVAL_BENCH_OPERATORS to the CSV written by --make-operators")
            account = next(_ACCOUNTS)
            self.npsn = account["npsn"]
            self.rows: list[str] = []
            page = self.client.get("/masuk/", name="/masuk/")
            token = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
            self.client.post(
                "/masuk/",
                {
                    "username": account["username"],
                    "password": account["password"],
                    "csrfmiddlewaretoken": token,
                },
                name="/masuk/ (POST)",
            )
            self.read_school()

        @task(6)
        def read_school(self) -> None:
            r = self.client.get(f"/sekolah/{self.npsn}/", name="/sekolah/[npsn]/")
            found = ROW_RE.findall(r.text)
            if found:
                self.rows = found

        @task(3)
        def filter_school(self) -> None:
            status = random.choice(["FORMAT_SALAH", "RESIDU", "BELUM_VERVAL", "AKTIF"])
            self.client.get(f"/sekolah/{self.npsn}/?status={status}&hal=1", name="/sekolah/[npsn]/?status")

        @task(2)
        def correct_number(self) -> None:
            if not self.rows:
                return
            rid = random.choice(self.rows)
            url = f"/sekolah/{self.npsn}/penerima/{rid}/ubah/"
            form = self.client.get(
                url, headers={"HX-Request": "true"}, name="/sekolah/[npsn]/penerima/[id]/ubah/"
            )
            version = VERSION_RE.search(form.text)
            token = self.client.cookies.get("csrftoken", "")
            if version is None or not token:
                return
            number = "0813" + "".join(random.choice("0123456789") for _ in range(8))
            with self.client.post(
                url,
                {"nomor": number, "versi": version.group(1)},
                headers={"HX-Request": "true", "X-CSRFToken": token, "Referer": self.host + url},
                name="/sekolah/[npsn]/penerima/[id]/ubah/ (POST)",
                catch_response=True,
            ) as response:
                # 409: someone else saved the row first (optimistic locking) — expected, not an error.
                if response.status_code in (200, 302, 409):
                    response.success()

        @task(1)
        def home(self) -> None:
            self.client.get("/beranda/", name="/beranda/")

        @task(1)
        def phone_check(self) -> None:
            self.client.get("/cek-nomor/", name="/cek-nomor/")


def make_operators(count: int, password: str, out: str) -> None:
    """Create (or reuse) one operator account for each of the first `count` schools with recipients."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    import django

    django.setup()
    from django.db.models import Count

    from verval.accounts.models import Role, User
    from verval.reference.models import School

    schools = School.objects.annotate(n=Count("recipients")).filter(n__gt=0).order_by("-n", "npsn")[:count]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["username", "password", "npsn"])
        for school in schools:
            username = f"bench-{school.npsn}"
            user, _created = User.objects.get_or_create(
                username=username, defaults={"role": Role.OPERATOR, "school": school}
            )
            user.set_password(password)
            user.is_active = True
            user.save()
            writer.writerow([username, password, school.npsn])
    print(f"{len(schools)} operators written to {out}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--make-operators", type=int, required=True, metavar="N")
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", default="var/bench-operators.csv")
    args = parser.parse_args()
    make_operators(args.make_operators, args.password, args.out)
