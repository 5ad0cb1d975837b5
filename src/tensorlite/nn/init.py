"""Weight initializers (PyTorch names and semantics): in place, under no_grad, they return the tensor.

Every random initializer takes ``generator=`` (a ``tl.Generator``); without it the draw comes from the
default generator that ``tl.manual_seed`` seeds. Zero-element tensors are left as they are.

Fans. For a weight of shape (out, in) (Linear) fan_in = in, fan_out = out. For a convolution weight of
shape (out_channels, in_channels / groups, kh, kw) fan_in = in_channels / groups * kh * kw and
fan_out = out_channels * kh * kw (shape[1] already holds in_channels / groups).

Formulas (gain g from ``calculate_gain``):

- ``xavier_uniform_``: U(-a, a), a = g sqrt(6 / (fan_in + fan_out));  ``xavier_normal_``: std g sqrt(2 / (fan_in + fan_out)).
- ``kaiming_uniform_``: U(-a, a), a = g sqrt(3 / fan);  ``kaiming_normal_``: std g / sqrt(fan) (He: sqrt(2 / fan_in) for ReLU).
- ``lecun_uniform_``: U(-a, a), a = sqrt(3 / fan_in);  ``lecun_normal_``: truncated normal (cut at 2 std)
  whose std after truncation is 1 / sqrt(fan_in) (Keras' lecun_normal).
- ``variance_scaling_(scale, mode, distribution)`` (Keras/TensorFlow VarianceScaling): n = fan_in,
  fan_out or (fan_in + fan_out) / 2, s = scale / max(1, n);
  'truncated_normal': N(0, sigma^2) cut at +-2 sigma, sigma = sqrt(s) / 0.87962566103423978 (the std of a
  standard normal truncated to [-2, 2], so the result has variance s); 'untruncated_normal': std sqrt(s);
  'uniform': U(-a, a), a = sqrt(3 s).
- Chainer's "wscale" form, normal with std = wscale / sqrt(fan_in), is
  ``variance_scaling_(w, scale=wscale**2, mode="fan_in", distribution="untruncated_normal")``.
- ``trunc_normal_(mean, std, a, b)``: N(mean, std^2) restricted to [a, b] (absolute bounds, PyTorch's
  convention), sampled by redrawing the values that fall outside, never by clipping.
- ``orthogonal_(gain)``: a (semi-)orthogonal matrix from the QR decomposition of a normal matrix, times gain.

Layers take ``weight_init=`` / ``bias_init=``: a name (``INITIALIZER_NAMES``: "xavier_uniform", "he_normal",
"lecun_normal", "zeros", ...), a number (a constant, e.g. ``bias_init=0.01`` against dead ReLUs) or a
callable ``fn(tensor)``; None keeps PyTorch's default (see ``init_weight_and_bias_``).

Why it matters: a 5-layer, 100-unit net (no bias) on 1000 standard-normal inputs, per-layer activation
mean / std, computed by ``tensorlite.experiments.init_study.activation_study(seed=0)``:

| init, activation | layer 1 | layer 2 | layer 3 | layer 4 | layer 5 |
|---|---|---|---|---|---|
| std=1, sigmoid | 0.499 / 0.458 | 0.510 / 0.445 | 0.523 / 0.438 | 0.477 / 0.432 | 0.503 / 0.431 |
| std=0.01, sigmoid | 0.500 / 0.025 | 0.500 / 0.014 | 0.501 / 0.012 | 0.499 / 0.011 | 0.500 / 0.011 |
| Xavier, sigmoid | 0.499 / 0.208 | 0.503 / 0.138 | 0.509 / 0.117 | 0.492 / 0.116 | 0.501 / 0.105 |
| Xavier, tanh | -0.002 / 0.626 | 0.001 / 0.491 | 0.000 / 0.415 | 0.001 / 0.365 | 0.002 / 0.328 |
| He, ReLU | 0.558 / 0.824 | 0.599 / 0.865 | 0.623 / 0.877 | 0.605 / 0.952 | 0.613 / 0.916 |

std=1 saturates the sigmoids (62% of last-layer outputs within 0.05 of 0 or 1); std=0.01 collapses
them to 0.5 (last-layer std 0.011); Xavier and He keep the last layer's std within a factor of 3 of the first.
"""

import math
import numbers

import numpy as np

from tensorlite import compat as _compat
from tensorlite.autograd.grad_mode import no_grad
from tensorlite.random import rng

# std of a standard normal truncated to [-2, 2]: sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) (Keras' constant).
TRUNCATED_NORMAL_STD = 0.87962566103423978


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = in_features (Linear) or in_channels/groups * kh * kw (Conv); fan_out likewise."""
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tensor.shape}"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


calculate_fan_in_and_fan_out = _calculate_fan_in_and_fan_out


def _fill(tensor, values):
    with no_grad():
        tensor._array[...] = values
        tensor._bump_version()
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b)."""
    if tensor.numel() == 0:
        return tensor
    return _fill(tensor, rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std^2)."""
    if tensor.numel() == 0:
        return tensor
    return _fill(tensor, rng(generator).normal(mean, std, tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with samples from N(mean, std^2) restricted to [a, b] (absolute bounds, like PyTorch).

    Values outside [a, b] are redrawn until none is left (exact, never clipped); raises ValueError when
    [a, b] holds less than 1e-4 of the normal's mass (redrawing would take too long).
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if mass < 1e-4:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.3g} of N({mean}, {std}^2); "
            "choose bounds nearer the mean"
        )
    if tensor.numel() == 0:
        return tensor
    source = rng(generator)
    out = np.empty(tensor.numel())
    filled = 0
    while filled < out.size:
        want = out.size - filled
        draw = source.normal(mean, std, int(want / mass * 1.1) + 16)
        inside = draw[(draw >= a) & (draw <= b)][:want]
        out[filled : filled + inside.size] = inside
        filled += inside.size
    return _fill(tensor, out.reshape(tensor.shape))


def _normal_cdf(z):
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def zeros_(tensor):
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return _fill(tensor, 1)


def constant_(tensor, val):
    """Fill with `val`."""
    return _fill(tensor, val)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: expected a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D conv weight with the Dirac delta: each output channel (per group) copies one
    input channel at the kernel's centre, so the convolution is the identity on those channels."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: expected a 3-, 4- or 5-D tensor, got shape {tensor.shape}")
    if groups < 1 or tensor.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups ({groups})")
    out_per_group = tensor.shape[0] // groups
    values = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, tensor.shape[1])):
            values[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2),
    leaky_relu sqrt(2 / (1 + a^2)) with a = param (default 0.01), selu 3/4."""
    if nonlinearity in ("linear", "identity", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if not isinstance(slope, (int, float)) or isinstance(slope, bool):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fan(tensor, mode):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan)."""
    if tensor.numel() == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std^2) with std = gain / sqrt(fan) (sqrt(2 / fan_in) for ReLU)."""
    if tensor.numel() == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def _keras_fans(tensor):
    """Keras' fans: like PyTorch's for >= 2 dims; fan_in = fan_out = shape[0] for 1-D and 1 for 0-D."""
    if tensor.ndim >= 2:
        return _calculate_fan_in_and_fan_out(tensor)
    n = tensor.shape[0] if tensor.ndim == 1 else 1
    return n, n


def variance_scaling_(tensor, scale=1.0, mode="fan_in", distribution="truncated_normal", generator=None):
    """Keras/TensorFlow VarianceScaling: target variance s = scale / max(1, n) with n = fan_in, fan_out or
    (fan_in + fan_out) / 2 by `mode`; 'truncated_normal' draws N(0, sigma^2) cut at +-2 sigma with
    sigma = sqrt(s) / 0.87962566103423978 (so the truncated values have variance s), 'untruncated_normal'
    N(0, s), 'uniform' U(-sqrt(3 s), sqrt(3 s)).  wscale (Chainer): scale = wscale**2, mode 'fan_in',
    'untruncated_normal' gives std = wscale / sqrt(fan_in)."""
    if not scale > 0:
        raise ValueError(f"variance_scaling_: scale must be positive, got {scale}")
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"variance_scaling_: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
    if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
        raise ValueError(
            "variance_scaling_: distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', "
            f"got {distribution!r}"
        )
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _keras_fans(tensor)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    s = scale / max(1.0, n)
    if distribution == "truncated_normal":
        sigma = math.sqrt(s) / TRUNCATED_NORMAL_STD
        return trunc_normal_(tensor, 0.0, sigma, -2 * sigma, 2 * sigma, generator)
    if distribution == "untruncated_normal":
        return normal_(tensor, 0.0, math.sqrt(s), generator)
    limit = math.sqrt(3.0 * s)
    return uniform_(tensor, -limit, limit, generator)


def lecun_uniform_(tensor, generator=None):
    """LeCun uniform: U(-a, a), a = sqrt(3 / fan_in) (variance 1 / fan_in)."""
    return variance_scaling_(tensor, 1.0, "fan_in", "uniform", generator)


def lecun_normal_(tensor, generator=None):
    """LeCun normal as in Keras: truncated normal (cut at 2 sigma) with variance 1 / fan_in after truncation."""
    return variance_scaling_(tensor, 1.0, "fan_in", "truncated_normal", generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix times gain: the Q factor (signs fixed by diag(R)) of the QR
    decomposition of a normal (rows, cols) matrix, rows = shape[0], cols = the product of the rest."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: need a tensor with at least 2 dimensions, got shape {tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def _he(fill):
    return lambda tensor, generator=None: fill(tensor, nonlinearity="relu", generator=generator)


def _deterministic(fill):
    return lambda tensor, generator=None: fill(tensor)


# Names accepted by weight_init= / bias_init= (and resolve_initializer). "he_*"/"kaiming_*" use the ReLU gain.
_NAMED_INITIALIZERS = {
    "zeros": _deterministic(zeros_),
    "ones": _deterministic(ones_),
    "eye": _deterministic(eye_),
    "dirac": _deterministic(dirac_),
    "normal": normal_,
    "uniform": uniform_,
    "trunc_normal": trunc_normal_,
    "xavier_uniform": xavier_uniform_,
    "glorot_uniform": xavier_uniform_,
    "xavier_normal": xavier_normal_,
    "glorot_normal": xavier_normal_,
    "kaiming_uniform": _he(kaiming_uniform_),
    "he_uniform": _he(kaiming_uniform_),
    "kaiming_normal": _he(kaiming_normal_),
    "he_normal": _he(kaiming_normal_),
    "lecun_uniform": lecun_uniform_,
    "lecun_normal": lecun_normal_,
    "orthogonal": orthogonal_,
}
INITIALIZER_NAMES = tuple(sorted(_NAMED_INITIALIZERS))


def resolve_initializer(spec, what="init"):
    """An initializer spec as a callable fn(tensor, generator=None) that fills in place, or None for None
    (the layer's default). spec: a name from INITIALIZER_NAMES (case-insensitive), a number (constant_),
    or a callable taking the tensor. `what` names the argument in error messages."""
    if spec is None:
        return None
    if isinstance(spec, str):
        fill = _NAMED_INITIALIZERS.get(spec.lower())
        if fill is None:
            raise ValueError(
                f"{what}: unknown initializer {spec!r}; known names: {', '.join(INITIALIZER_NAMES)}"
            )
        return fill
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        value = float(spec)
        return lambda tensor, generator=None: constant_(tensor, value)
    if callable(spec):
        return lambda tensor, generator=None: spec(tensor)
    raise TypeError(
        f"{what}: expected an initializer name, a number or a callable, got {type(spec).__name__}"
    )


def apply_init(tensor, spec, generator=None, what="init"):
    """Initialize `tensor` in place from a spec (see resolve_initializer); None leaves it unchanged."""
    fill = resolve_initializer(spec, what)
    if fill is not None:
        fill(tensor, generator=generator)
    return tensor


def init_weight_and_bias_(weight, bias=None, weight_init=None, bias_init=None, generator=None):
    """Initialize a Linear or Conv layer's weight and bias. None means PyTorch's default:
    weight ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (0 when fan_in = 0); otherwise apply_init with the spec."""
    if weight_init is None:
        kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    else:
        apply_init(weight, weight_init, generator, "weight_init")
    if bias is None:
        return
    if bias_init is None:
        fan_in = _calculate_fan_in_and_fan_out(weight)[0] if weight.ndim >= 2 else 0
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound, generator)
    else:
        apply_init(bias, bias_init, generator, "bias_init")

# A known torch name missing here raises NotImplementedError naming it (tensorlite.compat).
__getattr__ = _compat.module_getattr("torch.nn.init", "tensorlite.nn.init")
