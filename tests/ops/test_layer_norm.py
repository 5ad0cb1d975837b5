"""layer_norm and group_norm (the fused C++ kernel): forward vs a float64 two-pass reference and gradcheck
over random shapes (odd sizes, empty batches, with and without affine), accuracy when |mean| >> std,
thread-count independence, PyTorch agreement, and invalid arguments."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import _C

from harness import OpTestCase
from reference.layers import group_norm_reference, layer_norm_reference


class TestLayerNorm(OpTestCase):
    def generate_inputs(self, rng):
        lead = tuple(int(d) for d in rng.integers(0, 4, size=int(rng.integers(0, 3))))
        norm = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 3))))
        self.norm, self.affine = norm, int(rng.integers(0, 3))  # 0: none, 1: weight only, 2: weight and bias
        self.eps = float(rng.choice([1e-5, 1e-3]))
        arrays = [rng.standard_normal(lead + norm) * 3 + 1]
        arrays += [rng.standard_normal(norm) for _ in range(self.affine)]
        return tuple(arrays)

    def forward(self, x, *affine):
        return F.layer_norm(x, self.norm, *affine, eps=self.eps)

    def forward_expected(self, x, *affine):
        return layer_norm_reference(x, len(self.norm), *affine, eps=self.eps)


class TestGroupNorm(OpTestCase):
    def generate_inputs(self, rng):
        self.groups = int(rng.integers(1, 4))
        channels = self.groups * int(rng.integers(1, 4))
        spatial = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(0, 3))))
        batch = 0 if rng.random() < 0.1 else int(rng.integers(1, 4))
        self.affine = bool(rng.random() < 0.7)
        arrays = [rng.standard_normal((batch, channels, *spatial)) * 2 - 1]
        if self.affine:
            arrays += [rng.standard_normal(channels), rng.standard_normal(channels)]
        return tuple(arrays)

    def forward(self, x, *affine):
        return F.group_norm(x, self.groups, *affine)

    def forward_expected(self, x, *affine):
        return group_norm_reference(x, self.groups, *affine)


def test_layer_norm_is_accurate_when_the_mean_dwarfs_the_spread():
    """Values 1e7 + N(0, 1) in float64: a plain one-pass sum of squares would lose about 2 of the variance's
    16 digits per decade of mean/std (var error ~1e-16 * 1e14 = 1e-2); the shifted sums keep it."""
    rng = np.random.default_rng(0)
    x = 1e7 + rng.standard_normal((4, 300))
    y = F.layer_norm(tl.tensor(x), (300,), eps=0.0).numpy()
    np.testing.assert_allclose(y, layer_norm_reference(x, 1, eps=0.0), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(y.std(axis=1), 1.0, rtol=1e-9)


@pytest.mark.parametrize("groups, spatial", [(1, ()), (4, (16, 9))])
def test_result_does_not_depend_on_thread_count(groups, spatial):
    rng = np.random.default_rng(groups)
    x = rng.standard_normal((64, 32, *spatial)).astype(np.float32)  # large enough to go multithreaded
    w, b = rng.standard_normal(32).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    threads, results = tl.get_num_threads(), []
    try:
        for n in (1, 2):
            tl.set_num_threads(n)
            xt, wt, bt = (tl.tensor(a, requires_grad=True) for a in (x, w, b))
            y = F.group_norm(xt, groups, wt, bt) if spatial else F.layer_norm(xt, (32,), wt, bt)
            y.backward(tl.tensor(dy))
            results.append([y.numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()])
    finally:
        tl.set_num_threads(threads)
    for one, two in zip(*results):
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", ["layer_norm", "group_norm"])
def test_matches_pytorch_forward_and_backward(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 6, 5, 4))
    w, b = (rng.standard_normal((5, 4)), rng.standard_normal((5, 4))) if case == "layer_norm" else (
        rng.standard_normal(6), rng.standard_normal(6))  # fmt: skip
    dy = rng.standard_normal(x.shape)
    ours = [tl.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    if case == "layer_norm":
        y, yt = (
            F.layer_norm(*ours[:1], (5, 4), *ours[1:]),
            torch.nn.functional.layer_norm(theirs[0], (5, 4), *theirs[1:]),
        )
    else:
        y, yt = F.group_norm(ours[0], 3, *ours[1:]), torch.nn.functional.group_norm(theirs[0], 3, *theirs[1:])
    y.backward(tl.tensor(dy))
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_invalid_arguments_raise_naming_them():
    x = tl.randn(2, 6, 3)
    with pytest.raises(ValueError, match=r"num_groups=4 does not divide the 6 channels"):
        F.group_norm(x, 4)
    with pytest.raises(ValueError, match=r"num_groups must be a positive int, got 0"):
        F.group_norm(x, 0)
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\) does not match .* \(2, 6, 3\)"):
        F.layer_norm(x, (4,))
    with pytest.raises(ValueError, match=r"weight has shape \(2,\), expected \(3,\)"):
        F.layer_norm(x, 3, weight=tl.ones(2))
    with pytest.raises(ValueError, match=r"eps must be a finite number >= 0, got -1"):
        F.layer_norm(x, 3, eps=-1)
    with pytest.raises(TypeError, match="float32 or float64"):
        F.layer_norm(tl.tensor([[1, 2]]), 2)


def test_binding_rejects_bad_geometry_and_shapes():
    x = np.zeros((2, 6, 3))
    with pytest.raises(ValueError, match="groups must be a positive divisor of the 6 channels, got 4"):
        _C.layernorm_forward(x, None, None, 4, 1e-5)
    with pytest.raises(ValueError, match=r"weight must have shape \(6,\), got \(5,\)"):
        _C.layernorm_forward(x, np.ones(5), None, 2, 1e-5)
    with pytest.raises(TypeError, match="bias has dtype float32"):
        _C.layernorm_forward(x, None, np.ones(6, np.float32), 2, 1e-5)
    _, mean, rstd = _C.layernorm_forward(x, None, None, 2, 1e-5)
    assert mean.shape == rstd.shape == (2, 2)
    with pytest.raises(ValueError, match=r"mean must have shape \(2, 2\), got \(2, 3\)"):
        _C.layernorm_backward(x, x, np.zeros((2, 3)), rstd, None, 2, True)
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 6, 3\), got \(1, 6, 3\)"):
        _C.layernorm_backward(x, x[:1], mean, rstd, None, 2, True)
