"""Where trials run: in this process, in n local worker processes, on a Dask cluster, or on any
concurrent.futures.Executor. Each runner submits execute(...) and says which submissions are done."""

import concurrent.futures
import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool

from tensorlite.tune.trial import execute


def available_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _init_worker(threads):
    import tensorlite as tl

    tl.set_num_threads(threads)


class InProcess:
    """executor=None: one trial at a time, here (the objective is not pickled)."""

    slots = 1
    threads = None

    def submit(self, objective, *args):
        future = concurrent.futures.Future()
        future.set_result(execute(objective, *args))
        return future

    def wait(self, futures):
        return set(futures)

    def result(self, future):
        return future.result()

    def close(self):
        pass


class Pool:
    """A concurrent.futures.Executor: ours (executor=n, n spawned processes, each with cores // n kernel
    threads; replaced when a worker dies) or the caller's (left open, used as it is)."""

    def __init__(self, executor=None, processes=None):
        self.owned = executor is None
        if self.owned:
            self.slots = processes
            self.threads = max(1, available_cores() // processes)
            self.executor = self._new_pool()
        else:
            # Executors do not publish their size; ThreadPool/ProcessPool keep it in _max_workers
            self.slots = max(1, int(getattr(executor, "_max_workers", 1)))
            self.threads = None
            self.executor = executor

    def _new_pool(self):
        # spawn, not fork: a forked child of a process whose OpenMP pool has started can hang in libgomp
        return concurrent.futures.ProcessPoolExecutor(
            self.slots,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.threads,),
        )

    def submit(self, objective, *args):
        try:
            return self.executor.submit(execute, objective, *args)
        except BrokenProcessPool:
            if not self.owned:
                raise RuntimeError(
                    "tune.run: the executor's process pool is broken (a worker process died); "
                    "pass an int executor to have tune replace dead pools"
                ) from None
            self.executor.shutdown(wait=True)
            self.executor = self._new_pool()
            return self.executor.submit(execute, objective, *args)

    def wait(self, futures):
        return concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED).done

    def result(self, future):
        try:
            return future.result()
        except BrokenProcessPool as error:
            # the whole pool breaks: the trial that killed its process and any running beside it
            return _lost(f"the worker process died while the trial ran (the process pool broke: {error})")
        except Exception as error:  # noqa: BLE001 - e.g. the objective could not be pickled to the worker
            return _lost(f"{type(error).__name__}: {error}")

    def close(self):
        if self.owned:
            self.executor.shutdown(wait=True)


class Dask:
    """A distributed.Client: trials are tasks on the cluster's workers; each sets tensorlite's threads to
    its worker's thread count. Dask retries a task whose worker died (up to the scheduler's
    allowed-failures); after that the trial fails with KilledWorker."""

    threads = "dask"

    def __init__(self, client):
        self.client = client
        self.slots = max(1, sum(client.nthreads().values()))

    def submit(self, objective, *args):
        return self.client.submit(execute, objective, *args, pure=False)

    def wait(self, futures):
        from distributed import wait

        return set(wait(list(futures), return_when="FIRST_COMPLETED").done)

    def result(self, future):
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 - KilledWorker, a lost scheduler connection, ...
            return _lost(f"{type(error).__name__}: {error}")

    def close(self):
        pass


def _lost(message):
    return {"state": "FAIL", "value": None, "error": message, "seconds": None, "reports": [], "worker": None}


def runner(executor):
    """The runner for run()'s `executor` argument."""
    if executor is None:
        return InProcess()
    if isinstance(executor, int) and not isinstance(executor, bool):
        if executor < 1:
            raise ValueError(
                f"tune.run: executor as a number of worker processes must be >= 1, got {executor}"
            )
        return Pool(processes=executor)
    if isinstance(executor, concurrent.futures.Executor):
        return Pool(executor)
    try:
        from distributed import Client
    except ImportError:
        Client = ()
    if Client and isinstance(executor, Client):
        return Dask(executor)
    raise TypeError(
        "tune.run: executor must be None, an int (local worker processes), a distributed.Client or a "
        f"concurrent.futures.Executor, got {executor!r}"
    )
