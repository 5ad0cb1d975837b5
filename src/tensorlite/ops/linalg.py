"""Linear algebra: mm, bmm (matmul with PyTorch's shape rules), einsum, and vector/Frobenius norms."""

import builtins
import string

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, normalize_dims, promote, require_float, unbroadcast
from tensorlite.ops.matmul import matmul


def mm(a, b):
    """Matrix product of two 2-D tensors (n, k) @ (k, m) -> (n, m)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: both operands must be 2-D, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(a, b):
    """Batched matrix product of 3-D tensors (B, n, k) @ (B, k, m) -> (B, n, m); no broadcasting."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(
            f"bmm: both operands must be 3-D with one batch size, got shapes {a.shape} and {b.shape}"
        )
    return matmul(a, b)


class Einsum(Function):
    """z = einsum(spec, *xs) with explicit subscripts (ellipses already spelled out as letters).

    dx_i = einsum of g and every other operand into x_i's distinct letters; letters found only in x_i get a
    ones operand (their sum's derivative is 1), a letter repeated in x_i (a diagonal) is written back on
    that diagonal, and size-1 dims that were broadcast are summed back."""

    def forward(self, *xs):
        self.shapes = [x.shape for x in xs]
        self.xs = [np.broadcast_to(x, tuple(self.sizes[c] for c in s)) for x, s in zip(xs, self.inputs_subs)]
        return np.einsum(f"{','.join(self.inputs_subs)}->{self.output_sub}", *self.xs)

    def backward(self, grad):
        grads = []
        for i, (subs, shape) in enumerate(zip(self.inputs_subs, self.shapes)):
            if not self.inputs[i].requires_grad:
                grads.append(None)
                continue
            distinct = "".join(dict.fromkeys(subs))
            operands, terms = [grad], [self.output_sub]
            for j, x in enumerate(self.xs):
                if j != i:
                    operands.append(x)
                    terms.append(self.inputs_subs[j])
            alone = "".join(c for c in distinct if c not in "".join(terms))
            if alone:
                operands.append(np.ones(tuple(self.sizes[c] for c in alone), dtype=grad.dtype))
                terms.append(alone)
            g = np.einsum(f"{','.join(terms)}->{distinct}", *operands)
            if len(distinct) != len(subs):  # a repeated letter: the gradient lives on the diagonal
                full = np.zeros(tuple(self.sizes[c] for c in subs), dtype=grad.dtype)
                grid = np.indices(g.shape, sparse=True)
                full[tuple(grid[distinct.index(c)] for c in subs)] = g
                g = full
            grads.append(unbroadcast(g, shape))
        return tuple(grads)


def einsum(equation, *operands):
    """Einstein summation, e.g. einsum("bij,bjk->bik", a, b); operands may also be given as one list.
    Implicit output (no "->") and "..." follow NumPy/PyTorch's rules."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    xs = [as_tensor(x) for x in operands]
    dtype = xs[0].dtype
    for x in xs[1:]:
        dtype = promote(dtype, x.dtype)
    xs = [x if x.dtype == dtype else x.astype(dtype) for x in xs]
    inputs_subs, output_sub = _parse_einsum(equation.replace(" ", ""), [x.shape for x in xs])
    sizes = {}
    for subs, x in zip(inputs_subs, xs):
        for c, n in zip(subs, x.shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ValueError(f"einsum: subscript {c!r} has sizes {sizes[c]} and {n} in {equation!r}")
            sizes[c] = builtins.max(sizes.get(c, 1), n)
    return Einsum.apply(*xs, inputs_subs=inputs_subs, output_sub=output_sub, sizes=sizes)


def _parse_einsum(equation, shapes):
    """(input subscripts, output subscripts) with each "..." replaced by letters unused in `equation`."""
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {equation!r} names {len(terms)} operands, got {len(shapes)}")
    spare = [c for c in string.ascii_letters if c not in equation]
    ellipsis_ndim = 0
    for term, shape in zip(terms, shapes):
        letters = term.replace("...", "")
        if not letters.isalpha() and letters:
            raise ValueError(f"einsum: subscripts must be letters, got {term!r} in {equation!r}")
        ellipsis_ndim = builtins.max(ellipsis_ndim, len(shape) - len(letters) if "..." in term else 0)
        if ("..." in term and len(letters) > len(shape)) or ("..." not in term and len(term) != len(shape)):
            raise ValueError(f"einsum: subscripts {term!r} do not fit an operand of shape {shape}")
    fill = "".join(spare[:ellipsis_ndim])
    inputs = []
    for term, shape in zip(terms, shapes):
        n = len(shape) - len(term.replace("...", ""))
        inputs.append(term.replace("...", fill[ellipsis_ndim - n :]) if "..." in term else term)
    if arrow:
        output = rhs.replace("...", fill)
    else:
        counts = "".join(inputs)
        output = fill + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in fill))
    if len(set(output)) != len(output) or any(c not in "".join(inputs) for c in output):
        raise ValueError(f"einsum: invalid output subscripts {output!r} in {equation!r}")
    return inputs, output


class Norm(Function):
    """z = (sum |x|^p)^(1/p) over dims; dx = g x |x|^(p-2) / z^(p-1) (p = 2: g x / z; p = 1: g sign(x)),
    0 where z = 0. p = inf/-inf: the max/min of |x|, the gradient g sign(x) split evenly between ties.
    p = 0: the count of nonzeros, zero gradient."""

    def forward(self, x):
        a = np.abs(x)
        self.x, self.shape = x, x.shape
        p, dims = self.p, self.dims
        if p == np.inf or p == -np.inf:
            z = (np.max if p > 0 else np.min)(a, axis=dims, keepdims=True)
        elif p == 0:
            z = np.sum(a != 0, axis=dims, keepdims=True).astype(x.dtype)
        elif p == 1:
            z = np.sum(a, axis=dims, keepdims=True)
        elif p == 2:
            z = np.sqrt(np.sum(a * a, axis=dims, keepdims=True))
        else:
            z = np.sum(a**p, axis=dims, keepdims=True) ** (1 / p)
        self.z = z
        return z if self.keepdim else np.squeeze(z, axis=dims)

    def backward(self, grad):
        g = grad if self.keepdim else np.expand_dims(grad, self.dims)
        x, z, p = self.x, self.z, self.p
        if p == 0:
            return (np.zeros(self.shape, x.dtype),)
        if p == np.inf or p == -np.inf:
            ties = np.abs(x) == z
            return (g * np.sign(x) * ties / ties.sum(axis=self.dims, keepdims=True),)
        if p == 1:
            return (g * np.sign(x),)
        safe = np.where(z == 0, 1, z)
        if p == 2:
            return (np.where(z == 0, 0, g * x / safe),)
        return (np.where(z == 0, 0, g * x * np.abs(x) ** (p - 2) / safe ** (p - 1)),)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """The p-norm over `dim` (all elements when None): p a number (2, 1, inf, -inf, 0, 3, ...) or 'fro'
    (the 2-norm of all the elements over dim). 'nuc' is not implemented."""
    x = as_tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
    require_float("norm", x)
    if p == "fro":
        p = 2
    elif p == "nuc":
        raise NotImplementedError("norm: p='nuc' (nuclear norm) is not implemented")
    elif isinstance(p, (str, bool)) or not isinstance(p, (int, float, np.number)):
        raise ValueError(f"norm: p must be a number, 'fro' or inf, got {p!r}")
    dims = normalize_dims(None if isinstance(dim, (tuple, list)) and not dim else dim, x.ndim, "norm")
    if abs(p) == np.inf and 0 in [x.shape[d] for d in dims]:
        raise ValueError(f"norm: the inf norm of an empty set of elements has no value (shape {x.shape})")
    return Norm.apply(x, p=float(p), dims=dims, keepdim=bool(keepdim))
