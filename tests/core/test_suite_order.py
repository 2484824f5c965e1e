"""Under `make test` the browser and bench files go out first, so that no long file starts last
(decision 0129); each file's tests keep their order."""

from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import _long_files_first


def test_browser_and_bench_files_come_first_and_each_file_keeps_its_order() -> None:
    ids = [
        "tests/accounts/test_a.py::one",
        "tests/bench/test_b.py::only",
        "tests/accounts/test_a.py::two",
        "tests/core/test_c.py::one",
        "tests/browser/test_d.py::one",
        "tests/core/test_c.py::two",
        "tests/core/test_c.py::three",
        "tests/browser/test_d.py::two",
    ]
    items = [SimpleNamespace(nodeid=nodeid) for nodeid in ids]

    _long_files_first(items)  # type: ignore[arg-type]

    assert [item.nodeid for item in items] == [
        "tests/browser/test_d.py::one",
        "tests/browser/test_d.py::two",
        "tests/bench/test_b.py::only",
        "tests/core/test_c.py::one",
        "tests/core/test_c.py::two",
        "tests/core/test_c.py::three",
        "tests/accounts/test_a.py::one",
        "tests/accounts/test_a.py::two",
    ]
