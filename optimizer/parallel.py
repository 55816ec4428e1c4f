"""Run independent solves in parallel: local processes by default, a Dask cluster when asked.

Frontier budgets, explanations and batches of scenarios are independent MILPs. Locally they run on a
process pool (one worker per core). With ``--scheduler tcp://HOST:PORT`` (or ``ROSTER_SCHEDULER``) they
run on an existing Dask distributed cluster; the shared input (the campaign) is sent to the workers
once, not with every job. Results come back in input order, so a parallel run equals the serial one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

SCHEDULER_ENV = "ROSTER_SCHEDULER"
_SHARED: Any = None  # the shared input, set once per local worker process


def _init_worker(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call_local(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(_SHARED, item)


def run_all(
    fn: Callable[[Any, T], R],
    shared: Any,
    items: Sequence[T],
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[R]:
    """``[fn(shared, item) for item in items]``, in parallel.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to the workers).
    shared : object
        Input common to every job (e.g. the `Problem`), sent to each worker once.
    items : sequence
        One job each.
    scheduler : str, optional
        Dask scheduler address; default ``$ROSTER_SCHEDULER``; without one, local processes.
    workers : int, optional
        Local processes (default: one per core; 1 runs in this process).
    progress : callable, optional
        Called with the number of finished jobs after each one.

    Returns
    -------
    list
        Results in the order of `items`.
    """
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if scheduler:
        return _run_dask(fn, shared, items, scheduler, progress)
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(items) <= 1:
        out = []
        for i, item in enumerate(items, start=1):
            out.append(fn(shared, item))
            if progress:
                progress(i)
        return out
    results: list[Any] = [None] * len(items)
    with ProcessPoolExecutor(
        max_workers=min(workers, len(items)), initializer=_init_worker, initargs=(shared,)
    ) as pool:
        futures = {pool.submit(_call_local, fn, item): i for i, item in enumerate(items)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if progress:
                progress(done)
    return results


def _run_dask(fn, shared, items, scheduler, progress) -> list:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        from optimizer.errors import InputError

        raise InputError("--scheduler needs Dask: pip install 'creator-roster[dask]'") from None
    client = scheduler if not isinstance(scheduler, str) else None
    own = client is None
    if own:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            from optimizer.errors import InputError

            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        shared_future = client.scatter(shared, broadcast=True)
        futures = client.map(fn, [shared_future] * len(items), list(items), pure=False)
        for done, _ in enumerate(dask_completed(futures), start=1):
            if progress:
                progress(done)
        return client.gather(futures)
    finally:
        if own:
            client.close()
