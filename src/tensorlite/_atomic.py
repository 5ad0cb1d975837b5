"""Atomic file replacement shared by tl.save and the data/experiment writers.

The bytes go to a temporary file beside the target, named `.<name>.tl-tmp-<pid>-<random>-<host>` so that
it is recognisable, then are flushed, fsynced and renamed over the target: a reader sees the old file or
the new one, never a mix. A writer killed before the rename leaves its temporary file behind; the next
write to the same target removes it once its writer is provably gone (same host, pid no longer running)
or it has not been written for STALE_AFTER_S seconds. A temporary file of a live writer is never touched.
"""

import contextlib
import os
import secrets
import socket
import time

TMP_MARKER = ".tl-tmp-"
STALE_AFTER_S = 24 * 3600  # for temporaries whose writer cannot be checked (other host, or pid reused)


def atomic_write_bytes(path, payload):
    """Replace `path` by `payload` (bytes-like) atomically."""
    atomic_write(path, [payload])


def atomic_write(path, chunks):
    """Replace `path` by the concatenation of `chunks` (bytes-like objects) atomically: write a
    temporary file in the same folder, fsync it, rename it over `path`, fsync the folder."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    prefix = f".{os.path.basename(path)}{TMP_MARKER}"
    remove_stale_temporaries(folder, prefix)
    tmp = os.path.join(folder, f"{prefix}{os.getpid()}-{secrets.token_hex(4)}-{socket.gethostname()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        for chunk in chunks:
            view = memoryview(chunk).cast("B")
            while view:  # os.write may write less than asked
                view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_temporaries(folder, prefix):
    """Delete the files `<folder>/<prefix><pid>-<random>-<host>` whose writer is gone."""
    try:
        names = [name for name in os.listdir(folder) if name.startswith(prefix)]
    except OSError:
        return
    host = socket.gethostname()
    for name in names:
        fields = name[len(prefix) :].split("-", 2)
        if len(fields) != 3 or not fields[0].isdigit():
            continue  # not one of ours: leave it
        full = os.path.join(folder, name)
        with contextlib.suppress(OSError):  # it may vanish (its writer renamed it) while we look
            dead = fields[2] == host and not _pid_alive(int(fields[0]))
            if dead or time.time() - os.stat(full).st_mtime > STALE_AFTER_S:
                os.unlink(full)


def _pid_alive(pid):
    """Whether a process with this pid exists on this host (assumed alive when that cannot be checked)."""
    if os.name == "nt" or pid <= 0:
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
