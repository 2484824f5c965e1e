"""`verval serve` starts its task worker again when it dies (decision 0062): a worker killed under
`make run` left the web server without one, and the jobs it had waited until `make run` was
restarted. Fake processes and a fake clock: no process is started and nothing is timed."""

from __future__ import annotations

from io import StringIO

from verval.core.management.commands.serve import WorkerKeeper


class FakeProcess:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.terminated = False

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.terminated = True
        self.returncode = -15

    def wait(self, timeout: float | None = None) -> int | None:
        return self.returncode

    def kill(self) -> None:  # pragma: no cover - only when terminate did not work
        self.returncode = -9


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _keeper(**kw):  # type: ignore[no-untyped-def]
    started: list[FakeProcess] = []

    def start() -> FakeProcess:
        started.append(FakeProcess(100 + len(started)))
        return started[-1]

    out = StringIO()
    clock = Clock()
    return WorkerKeeper(start, out, clock=clock, **kw), started, out, clock


def test_serve_starts_a_new_worker_when_its_worker_was_killed():  # type: ignore[no-untyped-def]
    keeper, started, out, clock = _keeper()
    keeper.start()
    clock.now += 300
    keeper.check()
    assert len(started) == 1  # alive: left alone

    started[0].returncode = -9  # kill -9
    keeper.check()

    assert [p.pid for p in started] == [100, 101]
    assert keeper.process is started[1]
    assert out.getvalue().splitlines() == [
        "Task worker started (pid 100).",
        "Task worker (pid 100) stopped (exit code -9); starting a new one. Its job, if it had one, is "
        "run again once its lease expires (decision 0022).",
        "Task worker started (pid 101).",
    ]


def test_serve_gives_up_on_a_worker_that_dies_right_after_every_start():  # type: ignore[no-untyped-def]
    keeper, started, out, clock = _keeper(quick=30.0, give_up_after=3)
    keeper.start()
    for _ in range(4):
        clock.now += 5
        started[-1].returncode = 1
        keeper.check()

    assert len(started) == 3
    assert keeper.given_up is True
    assert out.getvalue().splitlines()[-1] == (
        "Task worker (pid 102) stopped (exit code 1) 3 times in a row right after its start; not started "
        "again. Its jobs wait until a worker runs (`verval worker`)."
    )


def test_a_worker_that_ran_a_while_before_dying_resets_the_count():  # type: ignore[no-untyped-def]
    keeper, started, _out, clock = _keeper(quick=30.0, give_up_after=2)
    keeper.start()
    clock.now += 5
    started[-1].returncode = 1
    keeper.check()
    clock.now += 600  # the second worker ran ten minutes
    started[-1].returncode = -9
    keeper.check()

    assert (len(started), keeper.quick_deaths, keeper.given_up) == (3, 0, False)


def test_a_worker_stopped_by_serve_itself_is_not_started_again():  # type: ignore[no-untyped-def]
    keeper, started, _out, clock = _keeper()
    keeper.start()
    keeper.stop()
    clock.now += 300
    keeper.check()

    assert (len(started), started[0].terminated) == (1, True)
