"""The tensorqs / autogradqs tutorial idioms, ending in a linear regression by hand-written gradient
descent (`w.grad`, `torch.no_grad()`, in-place update, `grad.zero_()`)."""

import numpy as np


def run(torch, steps, seed, init=None):
    """Fit y = X w + b by manual gradient descent for `steps` steps; return the loss of each."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    x_np = torch.from_numpy(np.array(data))
    assert torch.ones_like(x_data).sum().item() == 4
    assert x_np.shape == x_data.shape and x_np.dtype == torch.int64
    tensor = torch.ones(4, 4)
    tensor[:, 1] = 0
    assert tensor[..., -1].sum().item() == 4 and tensor[:, 1].sum().item() == 0
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    assert tuple(t1.shape) == (4, 12)
    y1, y2 = tensor @ tensor.T, tensor.matmul(tensor.T)
    assert (y1 - y2).abs().max().item() == 0
    tensor.add_(5)
    assert tensor.sum().item() == 12 + 16 * 5

    X = torch.from_numpy(rng.standard_normal((64, 3)).astype(np.float32))
    true_w = torch.tensor([[1.5], [-2.0], [0.5]])
    y = X @ true_w + 0.3
    w = torch.zeros(3, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr, losses = 0.1, []
    for _ in range(steps):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return losses
