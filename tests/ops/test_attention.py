"""F.scaled_dot_product_attention: forward vs a float64 loop reference and gradcheck over random shapes
(broadcast batch dimensions, causal, bool and float masks, scale, grouped-query heads), masked rows
(-inf from log(0), every key masked) without NaN in values or gradients, dropout's expectation, PyTorch
agreement, and invalid arguments."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

from harness import OpTestCase
from reference.attention import scaled_dot_product_attention as sdpa_reference


def _qkv(rng, batch=None, heads_kv=None):
    """query (..., L, E), key (..., S, E), value (..., S, Ev) with small random sizes."""
    batch = (
        tuple(int(d) for d in rng.integers(1, 4, size=int(rng.integers(0, 3)))) if batch is None else batch
    )
    length, source, e, ev = (int(d) for d in rng.integers(1, 5, size=4))
    kv_batch = batch if heads_kv is None else batch[:-1] + (heads_kv,)
    return (rng.standard_normal(batch + (length, e)), rng.standard_normal(kv_batch + (source, e)),
            rng.standard_normal(kv_batch + (source, ev)))  # fmt: skip


class TestAttention(OpTestCase):
    """No mask or the causal mask, default or given scale; key/value broadcast over query's batch."""

    def generate_inputs(self, rng):
        q, k, v = _qkv(rng)
        if q.ndim > 2 and rng.random() < 0.3:  # one key/value set shared by every batch entry
            k, v = k[..., :1, :, :], v[..., :1, :, :]
        self.is_causal = bool(rng.random() < 0.4)
        self.scale = None if rng.random() < 0.5 else float(rng.uniform(0.1, 2.0))
        return q, k, v

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=self.is_causal, scale=self.scale)

    def forward_expected(self, q, k, v):
        return sdpa_reference(q, k, v, is_causal=self.is_causal, scale=self.scale)


class TestAttentionFloatMask(OpTestCase):
    """A finite float mask (L, S) added to the scores: gradients flow into it as well."""

    def generate_inputs(self, rng):
        q, k, v = _qkv(rng)
        return q, k, v, rng.standard_normal((q.shape[-2], k.shape[-2]))

    def forward(self, q, k, v, mask):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    def forward_expected(self, q, k, v, mask):
        return sdpa_reference(q, k, v, mask=mask)


class TestAttentionBoolMask(OpTestCase):
    """A bool mask (True = takes part), sometimes with a row that masks every key (that row gives 0)."""

    def generate_inputs(self, rng):
        q, k, v = _qkv(rng)
        self.mask = rng.random((q.shape[-2], k.shape[-2])) < 0.7
        if rng.random() < 0.3:
            self.mask[int(rng.integers(q.shape[-2]))] = False
        return q, k, v

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=tl.tensor(self.mask))

    def forward_expected(self, q, k, v):
        return sdpa_reference(q, k, v, mask=self.mask)


class TestAttentionGroupedQuery(OpTestCase):
    """enable_gqa: query has a multiple of key/value's heads (dim -3); each key/value head serves a group."""

    def generate_inputs(self, rng):
        heads_kv, groups = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        return _qkv(rng, batch=(int(rng.integers(1, 3)), heads_kv * groups), heads_kv=heads_kv)

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    def forward_expected(self, q, k, v):
        return sdpa_reference(q, k, v, gqa=True)


def test_log_of_tril_mask_gives_exact_causal_attention_and_finite_gradients():
    """word_language_model's mask, log(tril(ones)): 0 on and below the diagonal, -inf above. Query 0 sees
    only key 0, so its output is exactly v_0; the gradients carry no NaN and are 0 for unseen keys."""
    rng = np.random.default_rng(0)
    q, k, v = (tl.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True) for _ in range(3))
    mask = tl.log(tl.tril(tl.ones(4, 4, dtype=tl.float64)))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(out.numpy()[:, 0], v.numpy()[:, 0])
    np.testing.assert_allclose(out.numpy(), sdpa_reference(q.numpy(), k.numpy(), v.numpy(), is_causal=True),
                               rtol=1e-12, atol=1e-12)  # fmt: skip
    g = rng.standard_normal(out.shape)
    (out * tl.tensor(g)).sum().backward()
    for t in (q, k, v):
        assert np.all(np.isfinite(t.grad.numpy()))
    # Key 3 is seen by query 3 alone, so dL/dv_3 = w_33 g_3 exactly: the masked weights above the diagonal
    # are exact zeros and add nothing.
    qn, kn = q.numpy(), k.numpy()
    scores = np.einsum("be,bse->bs", qn[:, 3], kn) / np.sqrt(3)
    w33 = np.exp(scores[:, 3]) / np.exp(scores).sum(axis=1)
    np.testing.assert_allclose(v.grad.numpy()[:, 3], w33[:, None] * g[:, 3], rtol=1e-12)


def test_fully_masked_row_gives_zero_output_and_zero_gradient():
    q, k, v = (tl.tensor(np.ones((1, 2, 2)) * (i + 1), requires_grad=True) for i in range(3))
    mask = tl.tensor(np.array([[True, True], [False, False]]))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(out.numpy(), [[[3.0, 3.0], [0.0, 0.0]]])
    out.sum().backward()
    np.testing.assert_array_equal(q.grad.numpy()[0, 1], [0.0, 0.0])
    assert np.all(np.isfinite(k.grad.numpy())) and np.all(np.isfinite(v.grad.numpy()))


def test_one_head_two_tokens_by_hand():
    """q = k = v = [[1, 0], [0, 1]]: scores = I / sqrt(2), so each token keeps sigmoid(1/sqrt(2)) =
    0.6697615493266569 of itself and 0.3302384506733431 of the other."""
    x = tl.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=tl.float64)
    out = F.scaled_dot_product_attention(x, x, x).numpy()
    np.testing.assert_allclose(out, [[0.6697615493266569, 0.3302384506733431],
                                     [0.3302384506733431, 0.6697615493266569]], rtol=1e-14)  # fmt: skip
    causal = F.scaled_dot_product_attention(x, x, x, is_causal=True).numpy()
    np.testing.assert_allclose(causal, [[1.0, 0.0], [0.3302384506733431, 0.6697615493266569]], rtol=1e-14)


def test_dropout_keeps_the_expectation():
    """Dropout on the attention weights is inverted (kept weights scaled by 1/(1-p)), so the mean output
    over many independent draws (here 20000 copies of one problem in a batch) is the undropped output."""
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((1, 2, 3)), rng.standard_normal((1, 3, 3)), rng.standard_normal((1, 3, 2))
    n = 20000
    tl.manual_seed(0)
    out = F.scaled_dot_product_attention(
        *(tl.tensor(np.repeat(a, n, axis=0)) for a in (q, k, v)), dropout_p=0.5
    )
    expected = sdpa_reference(q, k, v)[0]
    assert not np.allclose(out.numpy()[0], expected)  # a single draw differs
    # Each output is a sum of 3 terms |w v| <= max|v| doubled or dropped: std per draw < 2 * 3 * max|v|.
    bound = 5 * 6 * np.abs(v).max() / np.sqrt(n)
    np.testing.assert_allclose(out.numpy().mean(axis=0), expected, atol=bound)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"query": np.ones((2, 3)), "key": np.ones((2, 4))}, ValueError, "embedding sizes"),
        ({"value": np.ones((3, 3))}, ValueError, "sequence lengths"),
        ({"query": np.ones(3)}, ValueError, "at least 2 dimensions"),
        ({"attn_mask": np.ones((2, 2)), "is_causal": True}, ValueError, "is_causal"),
        ({"dropout_p": 1.0}, ValueError, "dropout_p"),
        ({"attn_mask": np.ones((2, 2), dtype=np.int64)}, TypeError, "attn_mask"),
        ({"enable_gqa": True}, ValueError, "enable_gqa"),
    ],
)
def test_invalid_arguments(kwargs, error, match):
    args = {"query": np.ones((2, 3)), "key": np.ones((2, 3)), "value": np.ones((2, 3))}
    args.update(kwargs)
    args = {k: tl.tensor(a) if isinstance(a, np.ndarray) else a for k, a in args.items()}
    with pytest.raises(error, match=match):
        F.scaled_dot_product_attention(**args)


def test_grouped_query_heads_must_divide():
    q, kv = tl.ones(1, 3, 2, 4), tl.ones(1, 2, 2, 4)
    with pytest.raises(ValueError, match="multiple"):
        F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)


@pytest.mark.parametrize(
    "case",
    ["plain", "causal", "bool_mask", "float_mask", "log_tril", "scale", "gqa", "broadcast", "empty_row"],
)
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(case))
    q, k, v = (
        rng.standard_normal((2, 4, 3, 8)),
        rng.standard_normal((2, 4, 5, 8)),
        rng.standard_normal((2, 4, 5, 6)),
    )
    kwargs = {}
    if case == "causal":
        kwargs["is_causal"] = True
    elif case in ("bool_mask", "empty_row"):
        kwargs["attn_mask"] = rng.random((3, 5)) < 0.6
        kwargs["attn_mask"][1] = case != "empty_row"
    elif case == "float_mask":
        kwargs["attn_mask"] = rng.standard_normal((2, 1, 3, 5))
    elif case == "log_tril":
        kwargs["attn_mask"] = np.where(np.tril(np.ones((3, 5))) > 0, 0.0, -np.inf)  # log(tril(ones))
    elif case == "scale":
        kwargs["scale"] = 0.7
    elif case == "gqa":
        k, v, kwargs["enable_gqa"] = k[:, :2], v[:, :2], True
    elif case == "broadcast":
        k, v = k[:1, :1], v[:1, :1]
    grads = []
    for lib in (tl, torch):
        inputs = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        extra = {n: lib.tensor(a) if isinstance(a, np.ndarray) else a for n, a in kwargs.items()}
        out = lib.nn.functional.scaled_dot_product_attention(*inputs, **extra)
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
        grads.append([out.detach().numpy()] + [t.grad.numpy() for t in inputs])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
