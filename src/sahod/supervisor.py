"""Keeping the job worker running through database outages, and the worker process alive.

Why this exists: procrastinate 3.x stops its worker for good when the database goes away.
Its side tasks (the LISTEN connection, the heartbeat, the periodic deferrer) end on the
first connection error, ``Worker._monitor_side_tasks`` then calls ``stop()``, and
``run_worker_async`` *returns normally* after a graceful shutdown ("stopping worker"). A
failed job fetch instead raises out of ``run_worker_async`` (the shutdown's own
``unregister_worker`` may fail the same way). Either way nothing restarts it.

``run_supervised_worker`` wraps ``run_worker_async``: whenever it ends without being asked
to, it waits (capped exponential backoff) until the database answers again through the
job app's own pool (so the pool has fresh connections) and starts a new worker. Jobs that
were running when the connection dropped are put back in the queue by the stalled-job
recovery (``sahod.sync.tasks.recover_stalled``) once the old worker's heartbeat is stale.

``ChildProcess`` is the other half: ``sahod serve`` runs ``sahod worker`` as a child and
starts it again if it dies anyway (a SIGKILL, the OOM killer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence

from sahod.kit.backoff import Backoff
from sahod.kit.outage import is_database_unavailable
from sahod.runtime import Runtime, worker_options

log = logging.getLogger("sahod.supervisor")

HEALTHY_RUN_SECONDS = 60.0
"""A worker that ran this long before it ended starts again without the built-up wait."""


async def _sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def wait_for_database(runtime: Runtime, stop: asyncio.Event, backoff: Backoff) -> None:
    """Return once the job app's pool gets an answer from the database (or stop is set)."""
    while not stop.is_set():
        try:
            await runtime.jobs.connector.execute_query_one_async("SELECT 1 AS up")
            return
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            wait = backoff.next_wait()
            log.warning("database unavailable (%s); trying again in %.1f s", error, wait)
            await _sleep_unless_stopped(stop, wait)


async def run_supervised_worker(runtime: Runtime, concurrency: int, stop: asyncio.Event) -> None:
    """Run the procrastinate worker until ``stop`` is set, restarting it whenever it ends."""
    settings = runtime.settings
    backoff = Backoff(
        first=settings.worker_restart_first_seconds, cap=settings.worker_restart_max_seconds
    )
    while not stop.is_set():
        await wait_for_database(runtime, stop, backoff)
        if stop.is_set():
            return
        started = time.monotonic()
        worker = asyncio.create_task(
            runtime.jobs.run_worker_async(**worker_options(runtime, concurrency)),
            name="procrastinate worker",
        )
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({worker, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if stop.is_set():
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            return
        error = worker.exception()
        if time.monotonic() - started > HEALTHY_RUN_SECONDS:
            backoff.reset()
        wait = backoff.next_wait()
        if error is None:
            # procrastinate's side task (listener, heartbeat) failed and it stopped itself.
            log.warning("job worker stopped by itself; starting it again in %.1f s", wait)
        elif is_database_unavailable(error):
            log.warning(
                "job worker lost the database (%s); starting it again in %.1f s", error, wait
            )
        else:
            log.error("job worker failed; starting it again in %.1f s", wait, exc_info=error)
        await _sleep_unless_stopped(stop, wait)


class ChildProcess:
    """A command kept running in a thread of its own: restarted (with backoff) if it exits
    before ``stop()``, sent SIGTERM (then SIGKILL after ``grace`` seconds) on ``stop()``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        grace: float = 30.0,
        first_wait: float = 0.5,
        max_wait: float = 10.0,
        niceness: int = 0,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.name = name
        self.niceness = niceness
        # Kept open by the parent and handed to every run of the child: a listening socket
        # passed this way keeps its port, and queues connections, across restarts.
        self.pass_fds = tuple(pass_fds)
        self.argv = list(argv)
        self.env = dict(env)
        self.grace = grace
        self.backoff = Backoff(first=first_wait, cap=max_wait)
        self.restarts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._keep_running, name=name, daemon=True)

    @classmethod
    def sahod(
        cls,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        niceness: int = 0,
        pass_fds: Sequence[int] = (),
    ) -> ChildProcess:
        return cls(
            name,
            [sys.executable, "-m", "sahod.cli", *args],
            env,
            niceness=niceness,
            pass_fds=pass_fds,
        )

    def start(self) -> None:
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            # Its own process group: a Ctrl-C in the terminal reaches the parent, which
            # then stops the child in order, rather than both at once.
            self.process = subprocess.Popen(  # noqa: S603
                self.argv, env=self.env, start_new_session=True, pass_fds=self.pass_fds
            )
            if self.niceness:
                # Lower priority for throughput work (the job worker), so that on a busy
                # machine the API's requests get the CPU first.
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, self.process.pid, self.niceness)
            return self.process

    def _keep_running(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            process = self._spawn()
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > HEALTHY_RUN_SECONDS:
                self.backoff.reset()
            wait = self.backoff.next_wait()
            self.restarts += 1
            log.warning("%s exited (%s); starting it again in %.1f s", self.name, code, wait)
            self._stopping.wait(wait)

    def stop(self) -> int | None:
        """Stop the child and the thread; the child's exit code, if it was running."""
        self._stopping.set()
        with self._lock:
            process = self.process
        code = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(self.grace)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", self.name, self.grace)
                process.kill()
                code = process.wait()
        if self._thread.is_alive():
            self._thread.join(5)
        return code


def child_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with ``overrides``: what a child of `sahod serve` runs with."""
    env = dict(os.environ)
    env.update(overrides)
    return env
