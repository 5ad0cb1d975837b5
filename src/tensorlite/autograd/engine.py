"""Reverse-mode differentiation: topological sort of the graph, then gradients in reverse order."""

import numpy as np

from tensorlite.autograd import anomaly
from tensorlite.autograd.grad_mode import no_grad


def _topological_order(root):
    """Tensors reachable from root through their creating ops, inputs before outputs (iterative DFS)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        node = tensor._node
        if node is None:
            continue
        if node.freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (op {node.name}): its saved values "
                "were freed by the first backward. Call backward(retain_graph=True) the first time."
            )
        for inp in node.inputs:
            if inp._requires_grad and id(inp) not in visited:
                stack.append((inp, False))
    return order


def _check_versions(node):
    """Raise if an input of `node` was modified in place after the op used it (its saved values are stale)."""
    for i, (inp, (counter, seen)) in enumerate(zip(node.inputs, node.input_versions)):
        if counter.value != seen:
            raise RuntimeError(
                f"{node.name}: input {i} (shape {inp.shape}) was modified by an in-place operation after the op "
                f"used it (through it or a view, detach() or .data of its memory): it is at version "
                f"{counter.value}, expected version {seen}; its gradient would be wrong"
            )


def _accumulate(grads, tensor, grad):
    key = id(tensor)
    if key in grads:
        grads[key] = grads[key] + grad
    else:
        grads[key] = grad


def backward(root, gradient=None, retain_graph=False):
    """Accumulate d(root)/d(leaf) into the .grad of every leaf that requires grad.

    ``gradient`` is d(loss)/d(root) for a non-scalar root (vector-Jacobian product).
    """
    from tensorlite.tensor import Tensor

    if not root.requires_grad:
        raise RuntimeError("backward: the tensor does not require grad and has no grad_fn")
    if gradient is None:
        if root.numel() != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, got shape {root.shape}; "
                "pass gradient= with the same shape"
            )
        seed = np.ones_like(root._array)
    else:
        seed = np.asarray(gradient._array if isinstance(gradient, Tensor) else gradient, dtype=root.dtype)
        if seed.shape != root.shape:
            raise ValueError(
                f"backward: gradient has shape {seed.shape} but the tensor has shape {root.shape}"
            )

    order = _topological_order(root)
    grads = {id(root): seed}
    with no_grad(), np.errstate(all="ignore"):  # IEEE inf/nan in gradients, no warnings (like PyTorch)
        for tensor in reversed(order):
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            for hook in tensor._hooks:
                replaced = hook(Tensor._wrap(grad))
                if replaced is not None:
                    grad = np.asarray(replaced._array if isinstance(replaced, Tensor) else replaced)
                    if grad.shape != tensor.shape:
                        raise ValueError(
                            f"hook returned a gradient of shape {grad.shape} for a tensor of shape {tensor.shape}"
                        )
            node = tensor._node
            if node is None:
                tensor._accumulate_grad(grad)
                continue
            _check_versions(node)
            input_grads = node.backward(grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if anomaly._State.depth:
                anomaly.check_backward(node, input_grads)
            for inp, input_grad in zip(node.inputs, input_grads):
                if input_grad is None or not inp._requires_grad:
                    continue
                array = inp._array  # its shape and dtype, without building a tl.Size per input
                if input_grad.shape != array.shape:
                    raise RuntimeError(
                        f"{node.name}.backward returned a gradient of shape {input_grad.shape} "
                        f"for an input of shape {inp.shape}"
                    )
                _accumulate(grads, inp, np.asarray(input_grad, dtype=array.dtype))  # never a NumPy scalar
            # Only `grads` may hold the gradients now, so a leaf can keep its first one without a copy.
            input_grads = input_grad = None
            if not retain_graph:
                node.inputs = ()
                node.freed = True
