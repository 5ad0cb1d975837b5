"""Atomic writes: recognisable temporary files, removed by the next write of the same target only when
their writer is provably gone (or silent for a day); a failed write leaves nothing behind."""

import os
import socket
import subprocess
import sys
import time

import pytest

from tensorlite import _atomic


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def sleeper():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield child.pid
    child.kill()
    child.wait()


def test_next_write_removes_only_temporaries_of_dead_writers_of_that_target(tmp_path, sleeper):
    host = socket.gethostname()
    dead = _dead_pid()
    names = {
        "dead": f".ck.tl-tmp-{dead}-0a1b2c3d-{host}",
        "alive": f".ck.tl-tmp-{sleeper}-0a1b2c3d-{host}",
        "own": f".ck.tl-tmp-{os.getpid()}-0a1b2c3d-{host}",  # e.g. another thread of this process
        "other target": f".ckpt.tl-tmp-{dead}-0a1b2c3d-{host}",
        "other host, fresh": f".ck.tl-tmp-{dead}-0a1b2c3d-elsewhere.example",
        "other host, old": f".ck.tl-tmp-{dead}-1a1b2c3d-elsewhere.example",
        "not ours": ".ck.tl-tmp-backup",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    day_and_a_bit_ago = time.time() - _atomic.STALE_AFTER_S - 60
    os.utime(tmp_path / names["other host, old"], (day_and_a_bit_ago, day_and_a_bit_ago))
    _atomic.atomic_write(tmp_path / "ck", [b"new ", memoryview(b"bytes")])
    assert (tmp_path / "ck").read_bytes() == b"new bytes"
    kept = {label for label, name in names.items() if (tmp_path / name).exists()}
    assert kept == {"alive", "own", "other target", "other host, fresh", "not ours"}


def test_failed_write_leaves_the_target_and_no_temporary(tmp_path):
    (tmp_path / "ck").write_bytes(b"old")

    def chunks():
        yield b"half"
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        _atomic.atomic_write(tmp_path / "ck", chunks())
    assert os.listdir(tmp_path) == ["ck"] and (tmp_path / "ck").read_bytes() == b"old"


def test_new_files_get_the_mode_open_would_give(tmp_path):
    umask = os.umask(0o027)
    try:
        _atomic.atomic_write_bytes(tmp_path / "f", b"x")
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "f").st_mode & 0o777 == 0o640
