"""The DataLoader iterator with num_workers > 0: batches are loaded in worker processes and returned in
sampler order.

Design (as PyTorch's): the main process walks the batch sampler and sends each batch's indices to a
worker (round robin, at most prefetch_factor outstanding per worker) through that worker's index queue;
each worker replies on its own pipe, so the replies of one worker arrive in the order it was asked and the
main process waits on exactly the worker that holds the next batch (and on that worker's process sentinel,
so a worker that dies is noticed at once). Workers are daemonic and stopped (None, then SIGTERM after a
grace period, then SIGKILL) when an epoch ends, iteration stops early, the iterator or its loader is
garbage-collected, a worker raises, or the main process gets KeyboardInterrupt.
"""

import itertools
import multiprocessing
import multiprocessing.connection
import time

from tensorlite.data._worker import worker_loop

# Seconds that stopping workers get to exit by themselves before they are terminated.
SHUTDOWN_GRACE = 5.0


class MultiProcessingIter:
    """Iterates one DataLoader's batches with worker processes (built by DataLoader.__iter__)."""

    def __init__(self, spec, batch_sampler, context, prefetch_factor, timeout, persistent, base_seed):
        self._spec = spec
        self._batch_sampler = batch_sampler
        self._prefetch = prefetch_factor
        self._timeout = timeout
        self._persistent = persistent
        self._shut = True  # until the workers are up, so that __del__ after a failed start does nothing
        self._epoch = context.Value("q", 0, lock=False)
        self._done = context.Event()
        self._queues, self._conns, self._workers = [], [], []
        try:
            for worker_id in range(spec.num_workers):
                index_queue = context.Queue()
                index_queue.cancel_join_thread()  # never block exit on requests a dead worker left unread
                reader, writer = context.Pipe(duplex=False)
                worker = context.Process(
                    target=worker_loop,
                    args=(spec, worker_id, base_seed, index_queue, writer, self._done, self._epoch),
                    daemon=True,
                )
                worker.start()
                writer.close()  # the worker holds the only writing end: reading gives EOF once it is gone
                self._queues.append(index_queue)
                self._conns.append(reader)
                self._workers.append(worker)
        finally:
            self._shut = False
            if len(self._workers) < spec.num_workers:
                self._shutdown(graceful=False)
        self._start_epoch(first=True)

    @property
    def worker_pids(self):
        """The process ids of the workers (the same across epochs with persistent_workers=True)."""
        return [w.pid for w in self._workers]

    @property
    def alive(self):
        return not self._shut

    def _start_epoch(self, first=False):
        if not first:
            self._epoch.value += 1  # workers skip what is left of the previous epoch's requests
        if self._spec.iterable:
            self._sampler_iter = itertools.repeat(None)  # each request: "your next batch"
        else:
            self._sampler_iter = iter(self._batch_sampler)
        self._active = [True] * len(self._workers)
        self._round_robin = itertools.cycle(range(len(self._workers)))
        self._owner = {}  # batch number -> worker asked for it
        self._sent = self._received = 0
        for _ in range(self._prefetch * len(self._workers)):
            self._request_next()

    def reset(self):
        """Start a new epoch on the same (persistent) workers."""
        self._start_epoch()
        return self

    def _request_next(self):
        if not any(self._active):
            return
        index = next(self._sampler_iter, StopIteration)
        if index is StopIteration:
            return
        worker_id = next(w for w in self._round_robin if self._active[w])
        self._queues[worker_id].put((self._epoch.value, self._sent, index))
        self._owner[self._sent] = worker_id
        self._sent += 1

    def __iter__(self):
        return self

    def __next__(self):
        if self._shut:
            raise StopIteration
        try:
            return self._next_batch()
        except StopIteration:
            if not self._persistent:
                self._shutdown(graceful=True)
            raise
        except Exception:
            self._shutdown(graceful=True)
            raise
        except BaseException:  # KeyboardInterrupt, SystemExit: stop the workers at once
            self._shutdown(graceful=False)
            raise

    def _next_batch(self):
        while self._received < self._sent:
            worker_id = self._owner.pop(self._received)
            kind, payload = self._receive(worker_id, self._received)
            self._received += 1
            if kind == "stop":
                self._active[worker_id] = False  # its stream is exhausted: ask the others only
            self._request_next()
            if kind == "error":
                payload.reraise()
            if kind == "batch":
                return payload
        raise StopIteration

    def _receive(self, worker_id, number):
        """Wait for batch `number` from worker `worker_id`; RuntimeError if the worker dies or `timeout`
        seconds pass first."""
        conn, worker = self._conns[worker_id], self._workers[worker_id]
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self._shutdown(graceful=False)  # the worker is stuck: do not wait for it to finish
                raise RuntimeError(
                    f"DataLoader timed out after {self._timeout} seconds waiting for batch {number} "
                    f"from worker {worker_id} (pid {worker.pid})"
                )
            ready = multiprocessing.connection.wait([conn, worker.sentinel], timeout=left)
            if conn in ready:
                try:
                    epoch, got, kind, payload = conn.recv()
                except EOFError:
                    worker.join(SHUTDOWN_GRACE)
                    ready = [worker.sentinel]
                else:
                    if epoch == self._epoch.value and got == number:
                        return kind, payload
                    continue  # a reply to a request of an epoch left early
            if worker.sentinel in ready:
                self._shutdown(graceful=False)
                raise RuntimeError(
                    f"DataLoader worker {worker_id} (pid {worker.pid}) exited unexpectedly with exit code "
                    f"{worker.exitcode}"
                )

    def _shutdown(self, graceful):
        """Stop every worker: ask (None), wait up to SHUTDOWN_GRACE while draining their pipes (a worker
        blocked sending a prefetched batch must be able to finish), then SIGTERM, then SIGKILL."""
        if self._shut:
            return
        self._shut = True
        self._done.set()
        for index_queue in self._queues:
            index_queue.put(None)
        deadline = time.monotonic() + (SHUTDOWN_GRACE if graceful else 0.0)
        readers = list(self._conns)
        exiting = {w.sentinel: w for w in self._workers if w.is_alive()}
        while exiting and time.monotonic() < deadline:
            for ready in multiprocessing.connection.wait(
                readers + list(exiting), deadline - time.monotonic()
            ):
                if ready in exiting:
                    # Its file descriptors are closed, so it is exiting: wait for that (a poll loop here
                    # would take the CPU the exiting worker needs on a busy machine).
                    exiting.pop(ready).join()
                    continue
                try:
                    ready.recv()
                except (EOFError, OSError):
                    readers.remove(ready)
        for worker in self._workers:
            if worker.is_alive():
                worker.terminate()
            worker.join(1.0)
            if worker.is_alive():
                worker.kill()
                worker.join()
        for index_queue in self._queues:
            index_queue.close()
        for conn in self._conns:
            conn.close()

    def __del__(self):
        self._shutdown(graceful=True)
