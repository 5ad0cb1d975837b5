"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled."""

import functools
import threading


class _GradState(threading.local):
    """Per-thread grad mode; the class attribute is every new thread's default (recording on)."""

    enabled = True


_state = _GradState()


def is_grad_enabled():
    """True when new ops record the graph for backward."""
    return _state.enabled


def _set_enabled(flag):
    _state.enabled = bool(flag)


class _GradMode:
    """Context manager and decorator that sets grad recording to `self._flag` and restores it on exit."""

    _flag = True

    def __new__(cls, fn=None):
        """`@no_grad` (bare) decorates fn directly; `no_grad()` makes a context manager / decorator."""
        mode = super().__new__(cls)
        return mode if fn is None else mode(fn)

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set_enabled(self._flag)
        return self

    def __exit__(self, *exc_info):
        _set_enabled(self._previous)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording inside a `with` block or a decorated function (like torch.no_grad)."""

    _flag = False


class enable_grad(_GradMode):
    """Re-enable graph recording inside a no_grad region (like torch.enable_grad)."""

    _flag = True


class set_grad_enabled(_GradMode):
    """Set graph recording on or off; usable as a function, a context manager or a decorator."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self._flag = bool(mode)
        self._previous = is_grad_enabled()
        _set_enabled(mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        _set_enabled(self._previous)
        flag = self._flag

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(flag):
                return fn(*args, **kwargs)

        return wrapper
