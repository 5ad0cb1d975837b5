"""What runs inside a DataLoader worker process: seeding, get_worker_info() and the fetch loop."""

import multiprocessing
import pickle
import queue
import random
import signal
import traceback

import numpy as np

# How often (seconds) an idle worker checks that the main process is still alive: a main process killed
# by SIGKILL cannot tell its workers to stop, so they notice the dead parent themselves and exit.
PARENT_CHECK_INTERVAL = 1.0

_worker_info = None


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id (0..num_workers-1), num_workers, seed
    (base_seed + id) and dataset (this worker's copy of the loader's dataset)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """Inside a DataLoader worker process, its WorkerInfo (id, num_workers, seed, dataset); in the main
    process, None. IterableDatasets use it to give each worker a different part of the stream."""
    return _worker_info


class WorkerError:
    """An exception raised in a worker, carried to the main process (which re-raises it with the worker's
    traceback text and id)."""

    def __init__(self, worker_id, exc):
        self.worker_id = worker_id
        self.type_name = type(exc).__name__
        self.text = "".join(traceback.format_exception(exc))
        try:
            pickle.dumps(type(exc))  # a class defined inside a function cannot travel: RuntimeError then
            self.exc_type = type(exc)
        except Exception:  # noqa: BLE001 - pickle fails in several ways (PicklingError, AttributeError)
            self.exc_type = RuntimeError

    def reraise(self):
        """Raise the worker's exception type (RuntimeError when it cannot be rebuilt from one message)."""
        message = (
            f"Caught {self.type_name} in DataLoader worker process {self.worker_id}.\nOriginal {self.text}"
        )
        try:
            exc = self.exc_type(message)
        except Exception:  # noqa: BLE001 - a constructor that wants other arguments may raise anything
            exc = RuntimeError(message)
        raise exc


def seed_worker(base_seed, worker_id):
    """Seed this worker's random sources like PyTorch: Python's `random` and tensorlite's global generator
    with base_seed + worker_id; NumPy's global RandomState with a SeedSequence of (worker_id, base_seed),
    which keeps the streams of neighbouring seeds unrelated. Returns the seed."""
    from tensorlite.random import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32]
    np.random.seed(np.random.SeedSequence(entropy).generate_state(4))
    return seed


def worker_loop(spec, worker_id, base_seed, index_queue, result_conn, done_event, epoch):
    """Serve fetch requests (epoch, idx, index) from `index_queue` until None arrives, `done_event` is set
    or the main process dies; reply (epoch, idx, kind, payload) on `result_conn`, kind being "batch",
    "stop" (the iterable dataset is exhausted) or "error" (payload: WorkerError). Requests of an old
    epoch (left over after an early break, with persistent workers) are skipped without reply."""
    from tensorlite.config import set_num_threads

    global _worker_info
    # Ctrl-C reaches the whole process group; the main process alone handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One kernel thread per worker: N workers x all cores would oversubscribe, and in a forked child
    # libgomp's thread pool (copied from a parent that ran a parallel kernel) is gone, so a parallel
    # region with more than one thread hangs forever; with one thread libgomp never touches that pool.
    set_num_threads(1)
    seed = seed_worker(base_seed, worker_id)
    _worker_info = WorkerInfo(worker_id, spec.num_workers, seed, spec.dataset)
    init_error = None
    try:
        if spec.worker_init_fn is not None:
            spec.worker_init_fn(worker_id)
    except Exception as exc:  # noqa: BLE001 - user code: whatever it raises goes to the main process
        init_error = WorkerError(worker_id, exc)
    parent = multiprocessing.parent_process()
    fetcher, fetcher_epoch = None, None
    while not done_event.is_set():
        try:
            task = index_queue.get(timeout=PARENT_CHECK_INTERVAL)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                break
            continue
        if task is None or done_event.is_set():
            break
        task_epoch, idx, index = task
        if task_epoch != epoch.value:
            continue
        if init_error is not None:
            kind, payload = "error", init_error
        else:
            try:
                if fetcher_epoch != task_epoch:  # a new epoch: an IterableDataset starts a new iterator
                    fetcher, fetcher_epoch = spec.make_fetcher(), task_epoch
                kind, payload = "batch", fetcher.fetch(index)
            except StopIteration as exc:  # the end of an IterableDataset; from a map-style one, an error
                kind, payload = ("stop", None) if spec.iterable else ("error", WorkerError(worker_id, exc))
            except Exception as exc:  # noqa: BLE001 - user code, re-raised in the main process
                kind, payload = "error", WorkerError(worker_id, exc)
        try:
            result_conn.send((task_epoch, idx, kind, payload))
        except (BrokenPipeError, EOFError):
            break  # the main process closed its end: it is shutting down
        except Exception as exc:  # noqa: BLE001 - the batch cannot be pickled: say so instead of hanging
            result_conn.send((task_epoch, idx, "error", WorkerError(worker_id, exc)))
        del task, index, payload
    result_conn.close()
