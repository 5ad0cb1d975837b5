"""embedding: lookup vs indexing, gradcheck on the weight, the gradient summed over repeated indices, zero at
padding_idx, scale_grad_by_freq, max_norm's in-place renormalization, PyTorch agreement, invalid input."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

from harness import OpTestCase


class TestEmbedding(OpTestCase):
    def generate_inputs(self, rng):
        rows = int(rng.integers(1, 7))
        shape = tuple(int(n) for n in rng.integers(0, 4, int(rng.integers(0, 3))))
        self.indices = rng.integers(0, rows, shape)
        return (rng.standard_normal((rows, int(rng.integers(1, 4)))),)

    # padding_idx and scale_grad_by_freq deliberately depart from the true gradient (tested below).
    def forward(self, weight):
        return F.embedding(tl.tensor(self.indices), weight)

    def forward_expected(self, weight):
        return weight[self.indices]


def test_gradient_sums_repeats_and_is_zero_at_padding_idx():
    weight = tl.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    idx = tl.tensor(np.array([[1, 2, 1], [3, 2, 2]]))
    F.embedding(idx, weight, padding_idx=2).sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy()[:, 0], [0.0, 2.0, 0.0, 1.0])
    weight.grad = None
    F.embedding(idx, weight, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy()[:, 0], [0.0, 1.0, 1.0, 1.0])


def test_max_norm_renormalizes_the_referenced_rows_in_place():
    weight = tl.tensor(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]))
    y = F.embedding(tl.tensor(np.array([0, 1])), weight, max_norm=1.0)
    np.testing.assert_allclose(weight.numpy()[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(weight.numpy()[1:], [[0.3, 0.4], [6.0, 8.0]])  # in norm / not referenced
    np.testing.assert_allclose(y.numpy(), weight.numpy()[:2])


def test_matches_pytorch_with_padding_idx_and_max_norm():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w, idx = rng.standard_normal((7, 4)) * 2, rng.integers(0, 7, (3, 5))
    dy = rng.standard_normal((3, 5, 4))
    wt, wl = torch.tensor(w, requires_grad=True), tl.tensor(w, requires_grad=True)
    yt = torch.nn.functional.embedding(torch.tensor(idx), wt, padding_idx=-2, max_norm=1.5, norm_type=1.0)
    yl = F.embedding(tl.tensor(idx), wl, padding_idx=-2, max_norm=1.5, norm_type=1.0)
    yt.backward(torch.tensor(dy))
    yl.backward(tl.tensor(dy))
    np.testing.assert_allclose(yl.numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(wl.numpy(), wt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(wl.grad.numpy(), wt.grad.numpy(), rtol=1e-12)
    assert (wl.grad.numpy()[5] == 0).all()


def test_invalid_input_raises_naming_it():
    weight = tl.randn(5, 2)
    with pytest.raises(ValueError, match=r"index 5 is out of range for num_embeddings=5"):
        F.embedding(tl.tensor(np.array([0, 5, 1])), weight)
    with pytest.raises(ValueError, match=r"index -1 is out of range for num_embeddings=5"):
        F.embedding(tl.tensor(np.array([-1, 2])), weight)
    with pytest.raises(TypeError, match="integer indices, got dtype float32"):
        F.embedding(tl.tensor([0.0, 1.0]), weight)
    with pytest.raises(ValueError, match=r"padding_idx=5 must be within num_embeddings=5"):
        F.embedding(tl.tensor(np.array([0])), weight, padding_idx=5)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(tl.tensor(np.array([0])), weight, sparse=True)
