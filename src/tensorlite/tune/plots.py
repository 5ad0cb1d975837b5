"""The figures of a TuneResult: optimization history, slice plots, parallel coordinates, a contour."""

import os

import numpy as np

from tensorlite.tune import space as spaces


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("TuneResult.plot needs matplotlib: pip install 'tensorlite[plot]'") from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _completed(result):
    return [t for t in result.trials if t.state == "COMPLETE"]


def _history(plt, result, path):
    done = _completed(result)
    fig, ax = plt.subplots(figsize=(6, 4))
    numbers = [t.number for t in done]
    values = [t.value for t in done]
    best = np.maximum.accumulate(values) if result.direction == "maximize" else np.minimum.accumulate(values)
    ax.scatter(numbers, values, s=14, label="completed trial")
    last = result.trials[-1].number  # the best-so-far line runs to the last trial
    ax.step([*numbers, last], [*best, best[-1]], where="post", color="C3", label="best so far")
    pruned = [t for t in result.trials if t.state == "PRUNED" and t.value is not None]
    if pruned:
        ax.scatter(
            [t.number for t in pruned],
            [t.value for t in pruned],
            marker="x",
            color="gray",
            label="pruned (value at its last report)",
        )
    ax.set_xlabel("trial")
    ax.set_ylabel("objective")
    ax.set_title(f"optimization history ({result.count('PRUNED')} pruned, {result.count('FAIL')} failed)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _axis_values(domain, values):
    """Categorical values are plotted at their index; ranges at their value."""
    if isinstance(domain, spaces.Choice):
        index = {repr(v): i for i, v in enumerate(domain.values)}
        return [index[repr(v)] for v in values]
    return [float(v) for v in values]


def _slices(plt, result, path):
    done = _completed(result)
    names = list(result.space)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], names):
        domain = result.space[name]
        rows = [t for t in done if name in t.config]
        ax.scatter(
            _axis_values(domain, [t.config[name] for t in rows]),
            [t.value for t in rows],
            c=[t.number for t in rows],
            cmap="viridis",
            s=14,
        )
        if isinstance(domain, spaces.LogUniform):
            ax.set_xscale("log")
        elif isinstance(domain, spaces.OneMinusLogUniform):
            # -log10(1 - x) grows with x: 0.9, 0.99, 0.999 are evenly spaced
            ax.set_xscale(
                "function", functions=(lambda x: -np.log10(np.maximum(1 - x, 1e-300)), lambda t: 1 - 10.0**-t)
            )
        elif isinstance(domain, spaces.Choice):
            ax.set_xticks(range(len(domain.values)), [str(v) for v in domain.values])
        ax.set_xlabel(f"{name} ({domain.kind})")
    axes[0][0].set_ylabel("objective")
    fig.suptitle("slice plots (colour: trial number)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _normalized(domain, values):
    """Each parameter mapped to [0, 1] on its search axis (categoricals by index)."""
    if isinstance(domain, spaces.Choice):
        return np.array(_axis_values(domain, values), float) / max(1, len(domain.values) - 1)
    lo, hi = domain.axis_range()
    return (np.array([domain.to_axis(v) for v in values]) - lo) / (hi - lo)


def _parallel(plt, result, path):
    done = [t for t in _completed(result) if all(n in t.config for n in result.space)]
    names = list(result.space)
    fig, ax = plt.subplots(figsize=(1.8 * len(names) + 2, 4))
    if done:
        values = np.array([t.value for t in done])
        span = np.ptp(values) or 1.0
        colours = plt.get_cmap("viridis")((values - values.min()) / span)
        columns = [_normalized(result.space[n], [t.config[n] for t in done]) for n in names]
        for row, colour in enumerate(colours):
            ax.plot(range(len(names)), [c[row] for c in columns], color=colour, alpha=0.8)
    ax.set_xticks(range(len(names)), [f"{n}\n({result.space[n].kind})" for n in names])
    ax.set_ylabel("position in range (search scale)")
    ax.set_title("parallel coordinates (yellow: best objective)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _contour(plt, result, path, x_name, y_name):
    done = [t for t in _completed(result) if x_name in t.config and y_name in t.config]
    dx, dy = result.space[x_name], result.space[y_name]
    tx = np.array([dx.to_axis(t.config[x_name]) for t in done])
    ty = np.array([dy.to_axis(t.config[y_name]) for t in done])
    z = np.array([t.value for t in done])
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    filled = ax.tricontourf(tx, ty, z, levels=12, cmap="viridis")
    ax.scatter(tx, ty, s=10, color="k")
    fig.colorbar(filled, ax=ax, label="objective")
    for axis_label, name, domain in ((ax.set_xlabel, x_name, dx), (ax.set_ylabel, y_name, dy)):
        scale = {"loguniform": "log10 ", "one_minus_loguniform": "log10(1 - "}.get(domain.kind, "")
        axis_label(f"{scale}{name}{')' if domain.kind == 'one_minus_loguniform' else ''}")
    ax.set_title(f"contour of the objective over {x_name} and {y_name}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_plots(result, out_dir):
    """The PNGs of `result` in out_dir; the contour uses the first two numeric parameters."""
    plt = _pyplot()
    if not _completed(result):
        raise ValueError("TuneResult.plot: no trial completed, nothing to plot")
    paths = []
    for name, draw in (("history", _history), ("slices", _slices), ("parallel", _parallel)):
        paths.append(os.path.join(out_dir, f"{name}.png"))
        draw(plt, result, paths[-1])
    numeric = spaces.numeric(result.space)
    done = _completed(result)
    if len(numeric) >= 2 and len(done) >= 3:
        tx = {round(result.space[numeric[0]].to_axis(t.config[numeric[0]]), 12) for t in done}
        ty = {round(result.space[numeric[1]].to_axis(t.config[numeric[1]]), 12) for t in done}
        if len(tx) >= 2 and len(ty) >= 2:  # a triangulation needs points off one line
            paths.append(os.path.join(out_dir, "contour.png"))
            _contour(plt, result, paths[-1], numeric[0], numeric[1])
    return paths
