"""L-BFGS, PyTorch's algorithm (torch.optim.LBFGS): the same iterations, line search and state."""

import math
import numbers

import numpy as np

from tensorlite.autograd.grad_mode import enable_grad, no_grad
from tensorlite.creation import from_numpy
from tensorlite.optim.optimizer import Optimizer, require_number
from tensorlite.tensor import Tensor


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to
    `bounds` (default [min(x1, x2), max(x1, x2)]); the midpoint when the cubic has no minimum."""
    xmin_bound, xmax_bound = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search along d from step t for a point with f(t) <= f + c1 t gtd and |f'(t)| <= -c2 gtd
    (strong Wolfe conditions): bracketing, then zoom by cubic interpolation (Nocedal & Wright, alg.
    3.5/3.6, as in PyTorch). obj_func(t, d) -> (loss, flat gradient). Returns (f, g, t, evaluations)."""
    d_norm = np.abs(d).max()
    f_new, g_new = obj_func(t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [gtd_prev, gtd_new],
            )
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [gtd_prev, gtd_new],
            )
            break
        # Extrapolate: the next trial lies in [t + 0.01 (t - t_prev), 10 t].
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = (
            t,
            _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)),
        )
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = obj_func(t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # Zoom: shrink the bracket until a point satisfies both conditions.
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # A trial too close to an end twice in a row (or outside) moves 10% of the bracket inwards.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = (
                    max(bracket) - eps
                    if abs(t - max(bracket)) < abs(t - min(bracket))
                    else min(bracket) + eps
                )
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos], bracket_g[high_pos], bracket_gtd[high_pos] = (
                t,
                f_new,
                g_new,
                gtd_new,
            )
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos], bracket_g[low_pos], bracket_gtd[low_pos] = (
                t,
                f_new,
                g_new,
                gtd_new,
            )
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """Limited-memory BFGS, as torch.optim.LBFGS. step(closure) runs up to max_iter iterations of

        d = -H g (two-loop recursion over the last history_size pairs s = x' - x, y = g' - g
              with ys > 1e-10; H_0 = (y.s / y.y) I, d = -g on the first iteration)
        x = x + t d,  t = lr (first iteration: min(1, 1 / |g|_1) * lr), or the strong-Wolfe line search t

    stopping at max_eval closure evaluations, when max|g| <= tolerance_grad, or when the step, the
    directional derivative or the loss change is below tolerance_change. One parameter group only;
    all parameters are treated as one flat vector. The state (kept under the first parameter, as in
    PyTorch) survives state_dict() / load_state_dict(), so a resumed run continues the same iterations.
    """

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_iter * 5 // 4 if max_eval is None and _is_int(max_iter) else max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _validate(self, group):
        require_number("LBFGS", "learning rate", group["lr"], 0.0)
        for name in ("max_iter", "max_eval", "history_size"):
            if not _is_int(group[name]) or group[name] < 1:
                raise ValueError(f"LBFGS: {name} must be an int >= 1, got {group[name]!r}")
        require_number("LBFGS", "tolerance_grad", group["tolerance_grad"], 0.0)
        require_number("LBFGS", "tolerance_change", group["tolerance_change"], 0.0)
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {group['line_search_fn']!r}"
            )

    def add_param_group(self, group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(group)

    # ------------------------------------------------------------------ the parameters as one vector
    def _gather_flat_grad(self):
        return np.concatenate(
            [
                np.zeros(p.shape, p.dtype).ravel() if p.grad is None else np.asarray(p.grad).ravel()
                for p in self._params
            ]
        )

    def _add_grad(self, step_size, update):
        offset = 0
        with no_grad():
            for p in self._params:
                n = math.prod(p.shape)
                moved = np.asarray(p) + step_size * update[offset : offset + n].reshape(p.shape)
                p.copy_(from_numpy(np.asarray(moved, dtype=p.dtype)))
                offset += n

    def _directional_evaluate(self, closure, x, t, d):
        """(loss, flat gradient) at x + t d; the parameters are back at x afterwards."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        with no_grad():
            for p, saved in zip(self._params, x):
                p.copy_(from_numpy(saved))
        return loss, flat_grad

    def step(self, closure):
        """Run the L-BFGS iterations; `closure` re-evaluates the model (zero_grad, forward, backward)
        and returns the loss. Returns the loss of the first evaluation."""
        if closure is None:
            raise ValueError("LBFGS.step needs a closure that re-evaluates the model and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]

        def evaluate():
            with enable_grad():
                return closure()

        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max(initial=0) <= tolerance_grad:
            return orig_loss

        d, t = _array(state.get("d")), state.get("t")
        old_dirs = [_array(v) for v in state.get("old_dirs", [])]
        old_stps = [_array(v) for v in state.get("old_stps", [])]
        ro, h_diag = list(state.get("ro", [])), state.get("H_diag")
        prev_flat_grad, prev_loss = _array(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1
            else:
                y, s = flat_grad - prev_flat_grad, d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:  # forget the oldest pair
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                # Two-loop recursion: d = -H g.
                al = state.setdefault("al", [None] * history_size)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(d) * ro[i]
                    d = d + (al[i] - be_i) * old_stps[i]
            prev_flat_grad, prev_loss = flat_grad.copy(), loss
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction any more
                break
            ls_func_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x_init = [np.asarray(p).copy() for p in self._params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    lambda step, direction, x=x_init: self._directional_evaluate(
                        evaluate, x, step, direction
                    ),
                    t,
                    d,
                    loss,
                    flat_grad,
                    gtd,
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:  # the last iteration's loss would go unused
                    loss = float(evaluate())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break

        state.update(
            d=from_numpy(d),
            t=t,
            old_dirs=[from_numpy(v) for v in old_dirs],
            old_stps=[from_numpy(v) for v in old_stps],
            ro=ro,
            H_diag=h_diag,
            prev_flat_grad=from_numpy(prev_flat_grad),
            prev_loss=prev_loss,
        )
        return orig_loss

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and the (copied) iteration state from state_dict() output."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("load_state_dict: expected a dict with keys 'state' and 'param_groups'")
        saved = state_dict["state"]
        if any(int(i) != 0 for i in saved):
            raise ValueError("load_state_dict: LBFGS keeps its state under parameter 0 only")
        super().load_state_dict({"state": {}, "param_groups": state_dict["param_groups"]})
        total = sum(math.prod(p.shape) for p in self._params)
        dtype = self._params[0].dtype
        if saved:
            entries = next(iter(saved.values()))
            self.state = {self._params[0]: {k: _restore(k, v, total, dtype) for k, v in entries.items()}}


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _array(value):
    """A state entry (Tensor, array or None) as a NumPy array (None stays None)."""
    return None if value is None else np.asarray(value)


def _restore(key, value, total, dtype):
    """A private copy of a saved LBFGS state entry; vectors must have the parameters' total size."""
    if isinstance(value, (list, tuple)):
        return [_restore(key, v, total, dtype) for v in value]
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.asarray(value)
        if array.ndim == 0:
            return array.item()
        if array.shape != (total,):
            raise ValueError(
                f"load_state_dict: LBFGS state '{key}' has shape {array.shape} but the parameters hold {total} values"
            )
        return from_numpy(np.array(array, dtype=dtype, copy=True))
    return value
