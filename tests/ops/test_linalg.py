"""mm, bmm, einsum and norm: forward against NumPy, gradchecks, and PyTorch's conventions."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, random_shape


class TestMm(OpTestCase):
    def generate_inputs(self, rng):
        n, k, m = (int(v) for v in rng.integers(1, 5, 3))
        return rng.standard_normal((n, k)), rng.standard_normal((k, m))

    def forward(self, a, b):
        return tl.mm(a, b) + a.mm(b)

    def forward_expected(self, a, b):
        return 2 * a @ b


class TestBmm(OpTestCase):
    def generate_inputs(self, rng):
        batch, n, k, m = (int(v) for v in rng.integers(1, 4, 4))
        return rng.standard_normal((batch, n, k)), rng.standard_normal((batch, k, m))

    def forward(self, a, b):
        return a.bmm(b)

    def forward_expected(self, a, b):
        return a @ b


EQUATIONS = [
    # (equation, operand shapes): contraction, batch, outer, trace, diagonal, sum-only letters, ellipsis
    # with broadcasting, implicit output
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij,j->ij", [(2, 2, 3), (3,)]),
    ("ij->i", [(2, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("i,i,i->", [(4,), (4,), (4,)]),
]


class TestEinsum(OpTestCase):
    def generate_inputs(self, rng):
        self.equation, shapes = EQUATIONS[int(rng.integers(0, len(EQUATIONS)))]
        return tuple(rng.standard_normal(s) for s in shapes)

    def forward(self, *xs):
        return tl.einsum(self.equation, *xs)

    def forward_expected(self, *xs):
        return np.einsum(self.equation, *xs)


@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS)
def test_every_einsum_equation_gradchecks(equation, shapes):
    rng = np.random.default_rng(0)
    xs = [tl.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert tl.autograd.gradcheck(lambda *t: tl.einsum(equation, *t), xs, atol=1e-6, rtol=1e-5)


def test_einsum_accepts_a_list_and_rejects_bad_subscripts():
    a, b = tl.ones(2, 3), tl.ones(3, 2)
    assert tl.einsum("ij,jk->ik", [a, b]).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    with pytest.raises(ValueError, match="names 2 operands, got 1"):
        tl.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="sizes 2 and 3"):
        tl.einsum("ij,ij->", a, b)
    with pytest.raises(ValueError, match="do not fit an operand of shape"):
        tl.einsum("ijk->", a)


NORMS = [2, 1, 3, np.inf, -np.inf, 0.5, "fro"]


class TestNorm(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_size=4))
        x = np.sign(x + (x == 0)) * (0.2 + np.abs(x)) * (1 + np.arange(x.size).reshape(x.shape) % 5)
        self.p = NORMS[int(rng.integers(0, len(NORMS)))]
        if x.size == 0 and self.p in (np.inf, -np.inf):
            self.p = 2  # the max of nothing has no value (ValueError, tested below)
        self.dim = None if rng.random() < 0.4 else int(rng.integers(0, x.ndim))
        self.keepdim = bool(rng.random() < 0.5)
        return (x,)

    def forward(self, x):
        return x.norm(self.p, dim=self.dim, keepdim=self.keepdim)

    def forward_expected(self, x):
        p = 2 if self.p == "fro" else self.p
        a = np.abs(x)
        if p == np.inf:
            z = np.max(a, axis=self.dim, keepdims=self.keepdim)
        elif p == -np.inf:
            z = np.min(a, axis=self.dim, keepdims=self.keepdim)
        else:
            z = np.sum(a**p, axis=self.dim, keepdims=self.keepdim) ** (1 / p)
        return z


def test_norm_matches_pytorch_values_and_gradients_at_zero_and_ties():
    torch = pytest.importorskip("torch")
    data = [[0.0, 0.0, 0.0], [3.0, -4.0, 4.0]]
    for p in (2, 1, 3, float("inf"), 0, "fro"):
        x, tx = tl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        y, ty = x.norm(p, dim=1), tx.norm(p, dim=1)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
        y.sum().backward()
        ty.sum().backward()
        expected = np.zeros((2, 3)) if tx.grad is None else tx.grad.numpy()  # torch leaves p=0's undefined
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6, err_msg=f"p={p}")


def test_norm_rejects_unknown_p_and_integer_input():
    with pytest.raises(NotImplementedError, match="nuc"):
        tl.ones(2, 2).norm("nuc")
    with pytest.raises(ValueError, match="p must be a number"):
        tl.ones(2).norm("max")
    with pytest.raises(ValueError, match="inf norm of an empty"):
        tl.zeros(0).norm(float("inf"))
    with pytest.raises(TypeError, match="float32 or float64"):
        tl.tensor([1, 2]).norm()
    assert tl.tensor([3, 4]).norm(dtype=tl.float64).item() == 5.0


def test_mm_and_bmm_refuse_other_ranks():
    with pytest.raises(ValueError, match="mm: both operands must be 2-D"):
        tl.mm(tl.ones(2, 2, 2), tl.ones(2, 2))
    with pytest.raises(ValueError, match="bmm: both operands must be 3-D with one batch size"):
        tl.bmm(tl.ones(2, 2, 2), tl.ones(3, 2, 2))
