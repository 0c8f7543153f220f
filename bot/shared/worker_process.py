"""A long-lived child process that runs a module's named functions, one call at a time.

Why a process and not a thread: drawing (the /progress chart and PDF, the portal's page)
needs matplotlib, which costs about 50 MB to import and leaves more behind after every
drawing; a bot that runs for months should carry none of it. The child imports only the
module it is given, answers one call at a time, and exits by itself after ``idle_seconds``
without work, so what drawing used goes back to the system; the parent starts a new one
when it is next needed, and after ``max_calls`` (nothing a long run leaves behind grows).

Both ends of the pipe are this project's own code, so calls and results travel as
length-prefixed pickles over the child's stdin and stdout; nothing from outside is read.
The child gets the parent's environment without the names in ``private_env`` (tokens,
keys and database addresses are not the drawing's business).

If a child cannot be started at all (a sandbox that forbids it), the call runs in this
process instead, so the feature still works, only without the memory it was meant to save.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["WorkerFailed", "WorkerProcess", "serve"]

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">Q")
#: The name of the mapping of callable functions each worker module defines.
FUNCTIONS = "FUNCTIONS"


class WorkerFailed(RuntimeError):
    """A call did not come back: the child failed, died twice or ran out of time."""


def _send(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next value, or raise EOFError when the other end has gone."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    size = _LENGTH.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _peak_kb() -> int:
    """This process's own peak resident memory, in KiB.

    Linux's ``VmHWM`` first: ``getrusage``'s figure carries over the parent's peak from
    before the ``exec`` that started this child, so it would report the bot's memory.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource  # POSIX; the child always runs where the parent does

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def serve(functions: Mapping[str, Callable[..., Any]], argv: list[str] | None = None) -> None:
    """The child's loop: answer calls on stdin until EOF or ``--idle`` seconds of quiet.

    Each answer is ``("ok", value, cpu_seconds, peak_kb)`` or ``("error", sentence)``.
    """
    args = sys.argv[1:] if argv is None else argv
    idle = float(args[args.index("--idle") + 1]) if "--idle" in args else 300.0
    calls_in, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never land in the answers
    while True:
        ready, _, _ = select.select([calls_in], [], [], idle)
        if not ready:
            return
        try:
            name, call_args, call_kwargs = _receive(calls_in)
        except EOFError:
            return
        cpu = time.process_time()
        try:
            value = functions[name](*call_args, **call_kwargs)
        except Exception as exc:  # the parent is told in one sentence; the child goes on
            _send(answers, ("error", f"{name} failed ({type(exc).__name__})"))
            continue
        _send(answers, ("ok", value, time.process_time() - cpu, _peak_kb()))
        # Figures and canvases point at each other: what a call leaves in such cycles (with
        # megabytes of pixels) is freed now, not whenever the collector next runs.
        del value
        gc.collect()


class WorkerProcess:
    """The parent's side: ``call`` is blocking and thread-safe (run it in a worker thread)."""

    def __init__(
        self,
        module: str,
        *,
        timeout: float = 60.0,
        idle_seconds: float = 300.0,
        max_calls: int = 100,
        private_env: Iterable[str] = (),
    ) -> None:
        self.module = module
        self.timeout = timeout
        self.idle_seconds = idle_seconds
        self.max_calls = max_calls
        self.private_env = frozenset(name.upper() for name in private_env)
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._calls = 0
        self._here = False
        #: The last answered call's CPU time in the child, and the child's peak resident
        #: memory in MB so far (what the benchmarks print).
        self.last_cpu_seconds = 0.0
        self.peak_mb = 0.0

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """``module.FUNCTIONS[function](*args, **kwargs)``, computed in the child."""
        with self._lock:
            if self._here:
                return self._call_here(function, args, kwargs)
            for attempt in (1, 2):
                try:
                    child = self._running()
                except OSError:
                    log.warning("worker %s could not be started; running here", self.module)
                    self._here = True
                    return self._call_here(function, args, kwargs)
                try:
                    return self._exchange(child, function, args, kwargs)
                except (EOFError, OSError) as exc:
                    # The child had just gone (idle, killed): one fresh start, then give up.
                    self._stop()
                    if attempt == 2 or isinstance(exc, TimeoutError):
                        raise WorkerFailed(f"{function} did not come back") from None
            raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Stop the child (it would also stop by itself when idle)."""
        with self._lock:
            self._stop()

    def _exchange(
        self,
        child: subprocess.Popen[bytes],
        function: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        assert child.stdin is not None and child.stdout is not None
        late = threading.Event()

        def kill() -> None:
            late.set()
            child.kill()

        timer = threading.Timer(self.timeout, kill)
        timer.start()
        try:
            _send(child.stdin, (function, args, kwargs))
            answer = _receive(child.stdout)
        except (EOFError, OSError):
            if late.is_set():
                raise TimeoutError from None
            raise
        finally:
            timer.cancel()
        self._calls += 1
        if self._calls >= self.max_calls:
            self._stop()
        if answer[0] != "ok":
            raise WorkerFailed(str(answer[1]))
        _, value, cpu, peak_kb = answer
        self.last_cpu_seconds = float(cpu)
        self.peak_mb = max(self.peak_mb, peak_kb / 1024)
        return value

    def _running(self) -> subprocess.Popen[bytes]:
        if self._child is not None and self._child.poll() is None:
            return self._child
        self._stop()
        env = {k: v for k, v in os.environ.items() if k.upper() not in self.private_env}
        # The child finds this project however the parent found it (installed or not).
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self._child = subprocess.Popen(
            [sys.executable, "-m", self.module, "--idle", str(self.idle_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._calls = 0
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _call_here(self, function: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        functions: Mapping[str, Callable[..., Any]] = getattr(
            importlib.import_module(self.module), FUNCTIONS
        )
        return functions[function](*args, **kwargs)
