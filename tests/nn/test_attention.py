"""nn.MultiheadAttention: PyTorch's parameter names, shapes and init; a hand-computed 1-head case; and,
with PyTorch installed, the same outputs, attention weights and gradients from the same weights over
batch_first, unbatched input, bool/float/3-D masks, key_padding_mask, kdim/vdim, add_bias_kv,
add_zero_attn, need_weights and average_attn_weights."""

import math

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn

E, H, L, S, N = 8, 2, 3, 4, 2


def test_parameters_are_named_and_shaped_as_pytorchs():
    mha = nn.MultiheadAttention(E, H)
    assert [(k, tuple(v.shape)) for k, v in mha.state_dict().items()] == [
        ("in_proj_weight", (3 * E, E)), ("in_proj_bias", (3 * E,)),
        ("out_proj.weight", (E, E)), ("out_proj.bias", (E,)),
    ]  # fmt: skip
    assert type(mha.out_proj) is nn.NonDynamicallyQuantizableLinear and isinstance(mha.out_proj, nn.Linear)
    assert mha.q_proj_weight is None and mha.bias_k is None and mha.head_dim == E // H
    other = nn.MultiheadAttention(E, H, bias=False, add_bias_kv=True, kdim=5, vdim=6)
    assert [(k, tuple(v.shape)) for k, v in other.state_dict().items()] == [
        ("q_proj_weight", (E, E)), ("k_proj_weight", (E, 5)), ("v_proj_weight", (E, 6)),
        ("bias_k", (1, 1, E)), ("bias_v", (1, 1, E)), ("out_proj.weight", (E, E)),
    ]  # fmt: skip
    assert other.in_proj_weight is None and other.in_proj_bias is None and not other._qkv_same_embed_dim


def test_init_is_pytorchs():
    """xavier_uniform_ on in_proj_weight: U(-a, a), a = sqrt(6 / (E + 3E)); zero biases."""
    tl.manual_seed(0)
    mha = nn.MultiheadAttention(64, 4)
    w = mha.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (64 + 3 * 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.all(mha.in_proj_bias.detach().numpy() == 0) and np.all(mha.out_proj.bias.detach().numpy() == 0)


def _identity_attention():
    """1 head on 2 features with identity projections, so that q = k = v = the input."""
    mha = nn.MultiheadAttention(2, 1, dtype=tl.float64)
    mha.load_state_dict({"in_proj_weight": tl.tensor(np.vstack([np.eye(2)] * 3)),
                         "in_proj_bias": tl.zeros(6, dtype=tl.float64),
                         "out_proj.weight": tl.tensor(np.eye(2)),
                         "out_proj.bias": tl.zeros(2, dtype=tl.float64)})  # fmt: skip
    return mha


def test_one_head_two_tokens_by_hand():
    """Tokens [1, 0] and [0, 1]: scores = I / sqrt(2), so each keeps sigmoid(1/sqrt(2)) = 0.66976... of
    itself. A float -inf or bool True mask entry removes a key; key_padding_mask removes it for all."""
    a, b = 0.6697615493266569, 0.3302384506733431
    mha = _identity_attention()
    x = tl.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=tl.float64)  # unbatched (L=2, E=2)
    out, weights = mha(x, x, x)
    np.testing.assert_allclose(out.numpy(), [[a, b], [b, a]], rtol=1e-14)
    np.testing.assert_allclose(weights.numpy(), [[a, b], [b, a]], rtol=1e-14)
    causal = nn.Transformer.generate_square_subsequent_mask(2, dtype=tl.float64)
    out, _ = mha(x, x, x, attn_mask=causal, need_weights=False)
    np.testing.assert_allclose(out.numpy(), [[1.0, 0.0], [b, a]], rtol=1e-14)
    out, weights = mha(x, x, x, key_padding_mask=tl.tensor([False, True]))
    np.testing.assert_allclose(out.numpy(), [[1.0, 0.0], [1.0, 0.0]], rtol=1e-14)
    np.testing.assert_allclose(weights.numpy(), [[1.0, 0.0], [1.0, 0.0]], rtol=1e-14)
    batched, _ = _identity_attention()(x.reshape(2, 1, 2), x.reshape(2, 1, 2), x.reshape(2, 1, 2))
    np.testing.assert_allclose(batched.numpy()[:, 0], [[a, b], [b, a]], rtol=1e-14)


def test_gradcheck_with_masks():
    tl.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, dtype=tl.float64, kdim=3, vdim=5, add_bias_kv=True)
    rng = np.random.default_rng(0)
    q, k, v = (
        tl.tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 2, 4), (4, 2, 3), (4, 2, 5))
    )
    mask = tl.tensor(rng.random((3, 4)) < 0.3)
    kpm = tl.tensor(np.array([[False, False, True, False], [True, False, False, False]]))
    assert tl.autograd.gradcheck(
        lambda q, k, v: mha(q, k, v, attn_mask=mask, key_padding_mask=kpm)[0], [q, k, v], eps=1e-6, atol=1e-6
    )


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((E, 3), "divisible"),
        ((0, 1), "embed_dim"),
        ((E, H, 1.0), "dropout"),
    ],
)
def test_invalid_construction(args, match):
    with pytest.raises(ValueError, match=match):
        nn.MultiheadAttention(*args)


def test_invalid_forward_arguments():
    mha = nn.MultiheadAttention(E, H)
    x = tl.ones(L, N, E)
    with pytest.raises(ValueError, match="features"):
        mha(x, tl.ones(L, N, 3), tl.ones(L, N, 3))
    with pytest.raises(ValueError, match="attn_mask"):
        mha(x, x, x, attn_mask=tl.ones(L, L + 1))
    with pytest.raises(ValueError, match="key_padding_mask"):
        mha(x, x, x, key_padding_mask=tl.zeros(N, L + 1, dtype=tl.bool))
    with pytest.raises(ValueError, match="is_causal"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(TypeError, match="attn_mask"):
        mha(x, x, x, attn_mask=tl.zeros(L, L, dtype=tl.int64))


CASES = {
    "plain": {},
    "batch_first": {"batch_first": True},
    "unbatched": {"unbatched": True},
    "key_padding": {"kpm": True},
    "key_padding_no_weights": {"kpm": True, "need_weights": False},
    "bool_mask": {"mask": "bool2"},
    "float_mask": {"mask": "float2"},
    "mask_3d_and_padding": {"mask": "bool3", "kpm": True},
    "float_mask_no_weights": {"mask": "float2", "kpm": True, "need_weights": False},
    "per_head_weights": {"average": False},
    "kdim_vdim": {"module": {"kdim": 5, "vdim": 6}, "cross": True, "batch_first": True, "kpm": True,
                  "mask": "bool2"},
    "cross": {"cross": True},
    "bias_kv": {"module": {"add_bias_kv": True}, "cross": True, "kpm": True, "mask": "bool3"},
    "zero_attn": {"module": {"add_zero_attn": True}, "cross": True, "kpm": True, "mask": "float2",
                  "need_weights": False},
    "no_bias_unbatched": {"module": {"bias": False}, "unbatched": True, "mask": "bool3", "kpm": True},
    "dropout_eval": {"module": {"dropout": 0.5}, "eval": True, "kpm": True},
}  # fmt: skip


def _inputs(rng, case):
    """query, key, value, key_padding_mask, attn_mask as float64 / bool arrays for one case."""
    module, unbatched, batch_first = case.get("module", {}), case.get("unbatched"), case.get("batch_first")
    source = S if case.get("cross") else L

    def shape(n, d):
        return (n, d) if unbatched else ((N, n, d) if batch_first else (n, N, d))

    q = rng.standard_normal(shape(L, E))
    k = rng.standard_normal(shape(source, module.get("kdim", E))) if case.get("cross") else None
    v = rng.standard_normal(shape(source, module.get("vdim", E))) if case.get("cross") else None
    kpm = None
    if case.get("kpm"):
        kpm = rng.random((source,) if unbatched else (N, source)) < 0.4
        kpm[..., 0] = False  # keep one key per row, so no row is all -inf
    mask = {
        "bool2": lambda: rng.random((L, source)) < 0.3,
        "float2": lambda: np.where(rng.random((L, source)) < 0.3, -np.inf, rng.standard_normal((L, source))),
        "bool3": lambda: rng.random(((1 if unbatched else N) * H, L, source)) < 0.3,
    }.get(case.get("mask"), lambda: None)()
    if mask is not None:
        mask[..., 0] = False if mask.dtype == bool else 0.0
        if kpm is not None and mask.dtype != bool:  # both masks of one kind, as PyTorch asks
            kpm = np.where(kpm, -np.inf, 0.0)
    return q, k, v, kpm, mask


@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    case = CASES[name]
    rng = np.random.default_rng(len(name))
    q, k, v, kpm, mask = _inputs(rng, case)
    theirs = torch.nn.MultiheadAttention(E, H, batch_first=bool(case.get("batch_first")), dtype=torch.float64,
                                         **case.get("module", {}))  # fmt: skip
    ours = nn.MultiheadAttention(E, H, batch_first=bool(case.get("batch_first")), dtype=tl.float64,
                                 **case.get("module", {}))  # fmt: skip
    ours.load_state_dict({key: tl.tensor(t.detach().numpy()) for key, t in theirs.state_dict().items()})
    if case.get("eval"):
        theirs.eval(), ours.eval()
    results = []
    for lib, module in ((torch, theirs), (tl, ours)):
        query = lib.tensor(q, requires_grad=True)
        key = query if k is None else lib.tensor(k, requires_grad=True)
        value = query if v is None else lib.tensor(v, requires_grad=True)
        out, weights = module(
            query, key, value,
            key_padding_mask=None if kpm is None else lib.tensor(kpm),
            attn_mask=None if mask is None else lib.tensor(mask),
            need_weights=case.get("need_weights", True),
            average_attn_weights=case.get("average", True),
        )  # fmt: skip
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
        grads = [p.grad.numpy() for _, p in sorted(module.named_parameters())]
        inputs = [t.grad.numpy() for t in {id(t): t for t in (query, key, value)}.values()]
        results.append(
            (out.detach().numpy(), None if weights is None else weights.detach().numpy(), grads, inputs)
        )
    (out_t, w_t, g_t, i_t), (out_o, w_o, g_o, i_o) = results
    np.testing.assert_allclose(out_o, out_t, rtol=1e-10, atol=1e-12)
    assert (w_o is None) == (w_t is None)
    if w_t is not None:
        np.testing.assert_allclose(w_o, w_t, rtol=1e-10, atol=1e-12)
    for ours_g, theirs_g in zip(g_o + i_o, g_t + i_t, strict=True):
        np.testing.assert_allclose(ours_g, theirs_g, rtol=1e-10, atol=1e-12)
