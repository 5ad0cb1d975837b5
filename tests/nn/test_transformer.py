"""nn.Transformer, TransformerEncoder(Layer), TransformerDecoder(Layer): PyTorch's state_dict keys, cloning
and init, properties that hold without PyTorch (LayerNorm'd outputs, causality, permutation equivariance,
gradcheck), and, with PyTorch installed, the same outputs and parameter gradients from the same weights."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import nn

D, NHEAD, FF = 8, 2, 16


def _layer_keys(prefix, decoder):
    attn = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    keys = [f"self_attn.{k}" for k in attn] + ([f"multihead_attn.{k}" for k in attn] if decoder else [])
    keys += ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
    keys += [f"norm{i}.{p}" for i in (1, 2, 3)[: 2 + decoder] for p in ("weight", "bias")]
    return [f"{prefix}{k}" for k in keys]


def test_state_dict_keys_are_pytorchs_in_pytorchs_order():
    model = nn.Transformer(D, NHEAD, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF)
    expected = _layer_keys("encoder.layers.0.", False) + _layer_keys("encoder.layers.1.", False)
    expected += ["encoder.norm.weight", "encoder.norm.bias"] + _layer_keys("decoder.layers.0.", True)
    expected += ["decoder.norm.weight", "decoder.norm.bias"]
    assert list(model.state_dict()) == expected
    assert [n for n, _ in model.named_parameters()] == expected
    assert model.encoder.num_layers == 2 and model.d_model == D and model.nhead == NHEAD


def test_stacks_clone_the_layer_and_transformer_redraws_matrices():
    layer = nn.TransformerEncoderLayer(D, NHEAD, FF)
    encoder = nn.TransformerEncoder(layer, 3)
    weights = [m.linear1.weight for m in encoder.layers]
    assert len({id(w) for w in weights} | {id(layer.linear1.weight)}) == 4  # independent copies
    for w in weights:  # ... that start equal, as PyTorch's deep copies do
        np.testing.assert_array_equal(w.detach().numpy(), layer.linear1.weight.detach().numpy())
    model = nn.Transformer(D, NHEAD, 2, 1, FF)
    a, b = (m.self_attn.in_proj_weight.detach().numpy() for m in model.encoder.layers)
    assert not np.array_equal(a, b)  # _reset_parameters re-drew every matrix with xavier_uniform_
    bound = np.sqrt(6 / (D + FF))
    w = model.encoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= bound
    assert np.all(model.encoder.layers[0].self_attn.in_proj_bias.detach().numpy() == 0)


def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    np.testing.assert_array_equal(mask, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    assert mask.dtype == np.float32


def test_post_norm_encoder_layer_outputs_are_normalized():
    """Post-norm: the output is norm2(...), whose weight is 1 and bias 0 at init: each token has mean 0
    and (biased) variance 1 / (1 + eps / var) over its features."""
    tl.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.0)
    out = layer(tl.randn(5, 3, D)).detach().numpy()
    np.testing.assert_allclose(out.mean(axis=-1), 0.0, atol=1e-6)
    np.testing.assert_allclose(out.var(axis=-1), 1.0, atol=1e-3)


@pytest.mark.parametrize("norm_first", [False, True])
def test_causal_mask_hides_later_tokens(norm_first):
    tl.manual_seed(0)
    model = nn.Transformer(D, NHEAD, 1, 2, FF, dropout=0.0, norm_first=norm_first)
    src, tgt = tl.randn(4, 2, D), tl.randn(5, 2, D)
    mask = nn.Transformer.generate_square_subsequent_mask(5)
    changed = tgt.numpy().copy()
    changed[3:] += np.random.default_rng(0).standard_normal(
        changed[3:].shape
    )  # not a shift: LayerNorm undoes those
    a = model(src, tgt, tgt_mask=mask).detach().numpy()
    b = model(src, tl.tensor(changed), tgt_mask=mask).detach().numpy()
    np.testing.assert_allclose(a[:3], b[:3], rtol=1e-5, atol=1e-6)  # positions 0..2 never see 3, 4
    assert np.abs(a[3:] - b[3:]).min() > 1e-4
    unmasked = model(src, tl.tensor(changed)).detach().numpy()
    assert np.abs(unmasked[:3] - a[:3]).max() > 1e-3  # without the mask they do


def test_encoder_without_mask_is_permutation_equivariant():
    tl.manual_seed(0)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.0), 2)
    x = tl.randn(5, 2, D)
    order = [3, 0, 4, 1, 2]
    out = encoder(x).detach().numpy()
    permuted = encoder(tl.tensor(x.numpy()[order])).detach().numpy()
    np.testing.assert_allclose(permuted, out[order], rtol=1e-5, atol=1e-5)


def test_dropout_is_active_in_training_only():
    tl.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.5)
    x = tl.randn(4, 2, D)
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_activation_string_or_callable():
    assert nn.TransformerEncoderLayer(D, NHEAD, FF, activation="gelu").activation is F.gelu
    assert nn.TransformerDecoderLayer(D, NHEAD, FF).activation is F.relu
    gelu = nn.TransformerEncoderLayer(D, NHEAD, FF, activation=nn.GELU())
    assert gelu.activation_relu_or_gelu == 2 and "activation" in dict(gelu.named_children())
    calls = []
    layer = nn.TransformerEncoderLayer(D, NHEAD, FF, activation=lambda x: calls.append(x.shape) or F.relu(x))
    layer(tl.randn(3, 1, D))
    assert calls == [(3, 1, FF)] and layer.activation_relu_or_gelu == 0
    with pytest.raises(ValueError, match="relu/gelu"):
        nn.TransformerEncoderLayer(D, NHEAD, FF, activation="tanh")


def test_transformer_checks_batch_and_features():
    model = nn.Transformer(D, NHEAD, 1, 1, FF)
    with pytest.raises(ValueError, match="batch"):
        model(tl.randn(3, 2, D), tl.randn(3, 4, D))
    with pytest.raises(ValueError, match="d_model"):
        model(tl.randn(3, 2, D + 1), tl.randn(3, 2, D + 1))


def test_gradcheck_through_a_small_transformer():
    tl.manual_seed(0)
    model = nn.Transformer(4, 2, 1, 1, 6, dropout=0.0, dtype=tl.float64, norm_first=True)
    rng = np.random.default_rng(0)
    src = tl.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    tgt = tl.tensor(rng.standard_normal((2, 2, 4)), requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(2, dtype=tl.float64)
    kpm = tl.tensor(np.array([[False, False, True], [False, False, False]]))
    assert tl.autograd.gradcheck(
        lambda s, t: model(s, t, tgt_mask=mask, src_key_padding_mask=kpm, memory_key_padding_mask=kpm),
        [src, tgt], eps=1e-6, atol=1e-6,
    )  # fmt: skip


def test_nested_tensor_path_zeroes_padding_as_pytorch_does():
    """PyTorch's encoder, in evaluation without gradients, batch_first, with a key padding mask at the
    end of each sequence, runs on nested tensors and gives zeros at the padded positions."""
    tl.manual_seed(0)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, NHEAD, FF, batch_first=True), 1).eval()
    x = tl.randn(2, 4, D)
    kpm = tl.tensor(np.array([[False, False, True, True], [False, False, False, False]]))
    with tl.no_grad():
        out = encoder(x, src_key_padding_mask=kpm).numpy()
    np.testing.assert_array_equal(out[0, 2:], 0.0)
    assert np.all(out[0, :2] != 0) and np.all(out[1] != 0)
    with_grad = encoder(x, src_key_padding_mask=kpm).detach().numpy()  # no nested path: padding computed
    np.testing.assert_array_equal(with_grad[:, :2][0], out[0, :2])
    assert np.all(with_grad[0, 2:] != 0)
    off = nn.TransformerEncoder(encoder.layers[0], 1, enable_nested_tensor=False).eval()
    with tl.no_grad():
        assert np.all(off(x, src_key_padding_mask=kpm).numpy()[0, 2:] != 0)


# ---------------------------------------------------------------- against PyTorch, from the same weights
def _pair(torch, make):
    """(PyTorch module, ours) built by make(lib) in float64, ours loaded with PyTorch's weights."""
    theirs, ours = make(torch), make(tl)
    ours.load_state_dict({k: tl.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


def _run(lib, module, arrays, masks, train):
    """Output and every parameter's gradient (in state_dict order) of sum(output * fixed weights)."""
    module.train(train)
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = module(*inputs, **{k: lib.tensor(v) for k, v in masks.items()})
    (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
    return (
        [out.detach().numpy()]
        + [t.grad.numpy() for t in inputs]
        + [p.grad.numpy() for p in module.parameters()]
    )


def _assert_same(torch, make, arrays, masks=None, train=False):
    theirs, ours = _pair(torch, make)
    expected = _run(torch, theirs, arrays, masks or {}, train)
    actual = _run(tl, ours, arrays, masks or {}, train)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-11)


def _common(lib, batch_first, norm_first, activation="relu"):
    return {"dim_feedforward": FF, "dropout": 0.0, "batch_first": batch_first, "norm_first": norm_first,
            "activation": activation, "dtype": lib.float64}  # fmt: skip


LAYER_CASES = [(bf, nf, act) for bf in (False, True) for nf in (False, True) for act in ("relu", "gelu")]


@pytest.mark.parametrize(("batch_first", "norm_first", "activation"), LAYER_CASES)
def test_encoder_layer_matches_pytorch(batch_first, norm_first, activation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, D) if batch_first else (5, 2, D))
    kpm = np.array([[False] * 4 + [True], [False] * 5])
    causal = np.where(np.tril(np.ones((5, 5))) > 0, 0.0, -np.inf)  # log(tril(ones)), word_language_model's
    masks = {"src_mask": causal, "src_key_padding_mask": np.where(kpm, -np.inf, 0.0)}  # one mask kind
    make = lambda lib: lib.nn.TransformerEncoderLayer(
        D, NHEAD, **_common(lib, batch_first, norm_first, activation)
    )
    _assert_same(torch, make, [x], masks, train=True)  # dropout=0 in training mode
    _assert_same(torch, make, [x], {"src_key_padding_mask": kpm}, train=False)


@pytest.mark.parametrize(("batch_first", "norm_first", "activation"), LAYER_CASES)
def test_decoder_layer_matches_pytorch(batch_first, norm_first, activation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    tgt = rng.standard_normal((2, 4, D) if batch_first else (4, 2, D))
    memory = rng.standard_normal((2, 3, D) if batch_first else (3, 2, D))
    masks = {"tgt_mask": np.triu(np.full((4, 4), -np.inf), 1), "memory_key_padding_mask": np.array(
        [[False, False, True], [False, False, False]])}  # fmt: skip
    make = lambda lib: lib.nn.TransformerDecoderLayer(
        D, NHEAD, **_common(lib, batch_first, norm_first, activation)
    )
    _assert_same(torch, make, [tgt, memory], masks, train=True)
    _assert_same(torch, make, [tgt, memory], {}, train=False)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning")
@pytest.mark.parametrize(("batch_first", "norm_first"), [(False, False), (True, True)])
def test_transformer_forward_and_backward_match_pytorch(batch_first, norm_first):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    src = rng.standard_normal((2, 5, D) if batch_first else (5, 2, D))
    tgt = rng.standard_normal((2, 4, D) if batch_first else (4, 2, D))
    kpm = np.array([[False] * 4 + [True], [False] * 5])
    masks = {"tgt_mask": np.triu(np.full((4, 4), -np.inf), 1), "src_key_padding_mask": kpm,
             "memory_key_padding_mask": kpm}  # fmt: skip
    make = lambda lib: lib.nn.Transformer(D, NHEAD, 2, 2, **_common(lib, batch_first, norm_first))
    _assert_same(torch, make, [src, tgt], masks, train=True)
    _assert_same(torch, make, [src, tgt], masks, train=False)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors:UserWarning")
def test_encoder_nested_tensor_path_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, D))
    kpm = np.array([[False, False, True, True], [False, False, False, False]])

    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(D, NHEAD, FF, batch_first=True, dtype=lib.float64)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(D, dtype=lib.float64)).eval()

    theirs, ours = _pair(torch, make)
    with torch.no_grad():
        expected = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm)).numpy()
    with tl.no_grad():
        actual = ours(tl.tensor(x), src_key_padding_mask=tl.tensor(kpm)).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-11)


def test_pytorch_module_paths_resolve():
    import tensorlite.nn.modules.transformer as transformer_module
    from tensorlite.nn.modules.activation import MultiheadAttention
    from tensorlite.nn.modules.linear import NonDynamicallyQuantizableLinear

    assert transformer_module.TransformerEncoder is nn.TransformerEncoder
    assert transformer_module.Transformer is nn.Transformer
    assert MultiheadAttention is nn.MultiheadAttention
    assert NonDynamicallyQuantizableLinear is nn.NonDynamicallyQuantizableLinear
