"""The worker process: real children started, killed, timed out and let go idle."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator

import pytest

from bot.shared.worker_process import WorkerFailed, WorkerProcess

MODULE = "tests.shared.worker_functions"


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    process = WorkerProcess(MODULE, timeout=10, idle_seconds=30, private_env=["coach_secret"])
    yield process
    process.close()


def test_a_call_runs_in_another_process_without_the_private_settings(
    worker: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_SECRET", "a token")
    monkeypatch.setenv("COACH_PUBLIC", "a colour")
    pid, secret = worker.call("pid_and_env", "COACH_SECRET")
    assert pid != os.getpid()
    assert secret is None
    assert worker.call("pid_and_env", "COACH_PUBLIC") == (pid, "a colour")  # the same child
    assert 0 < worker.peak_mb < 500


def test_a_failing_call_is_one_sentence_and_the_child_goes_on(worker: WorkerProcess) -> None:
    pid, _ = worker.call("pid_and_env", "HOME")
    with pytest.raises(WorkerFailed) as failed:
        worker.call("fail")
    assert str(failed.value) == "fail failed (ValueError)"  # no words from inside the call
    assert worker.call("pid_and_env", "HOME")[0] == pid


def test_a_killed_child_is_replaced_on_the_next_call(worker: WorkerProcess) -> None:
    pid, _ = worker.call("pid_and_env", "HOME")
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    new_pid, _ = worker.call("pid_and_env", "HOME")
    assert new_pid != pid


def test_a_stuck_call_is_ended_at_the_deadline_and_the_next_call_works() -> None:
    process = WorkerProcess(MODULE, timeout=1.0)
    try:
        start = time.monotonic()
        with pytest.raises(WorkerFailed, match="did not come back"):
            process.call("sleep", 30)
        assert time.monotonic() - start < 5  # not retried: one deadline, not two
        assert process.call("sleep", 0) == "slept"
    finally:
        process.close()


def test_an_idle_child_exits_by_itself_and_a_new_one_answers() -> None:
    process = WorkerProcess(MODULE, idle_seconds=0.5)
    try:
        pid, _ = process.call("pid_and_env", "HOME")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.1)
            if process._child is not None:
                process._child.poll()  # reap it, as the next call would
        assert not os.path.exists(f"/proc/{pid}"), "the idle child did not exit"
        assert process.call("pid_and_env", "HOME")[0] != pid
    finally:
        process.close()


def test_after_max_calls_a_fresh_child_takes_over() -> None:
    process = WorkerProcess(MODULE, max_calls=2)
    try:
        first = {process.call("pid_and_env", "HOME")[0] for _ in range(2)}
        second = {process.call("pid_and_env", "HOME")[0] for _ in range(2)}
        assert len(first) == len(second) == 1 and first != second
    finally:
        process.close()


def test_where_no_child_can_start_the_call_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    process = WorkerProcess(MODULE)
    assert process.call("pid_and_env", "HOME")[0] == os.getpid()
