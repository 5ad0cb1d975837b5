"""How the next trial's config is chosen: grid, random, coarse-to-fine, TPE, or any Optuna sampler.

All of them go through Optuna's ask-and-tell: a sampler picks values from the distributions the driver
passes to study.ask, and fixed values (grid points, grid_search cycling) are enqueued with
study.enqueue_trial first.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np

from tensorlite.tune import space as spaces


@dataclass(frozen=True)
class Grid:
    """The product of every parameter's grid values: grid_search/choice values, and `points` values per
    range, evenly spaced on its search axis (log10 x for loguniform, log10(1 - x) for one_minus)."""

    points: int = 3


@dataclass(frozen=True)
class CoarseToFine:
    """Random search in `rounds` rounds over an equal share of the trials. After each round every range
    shrinks on its search axis t (log10 x for loguniform): over the best `top` fraction (at least 2) of
    the completed trials so far, with w = max t - min t, the new range is centred on their span and
    max(w * (1 + 2 * margin), keep * current width) wide, shifted to lie inside the current range.
    Choices do not shrink."""

    rounds: int = 3
    top: float = 0.25
    margin: float = 0.25
    keep: float = 0.5


SAMPLER_NAMES = ("grid", "random", "coarse_to_fine", "tpe")


def resolve(sampler):
    """A sampler name, Grid, CoarseToFine or optuna BaseSampler -> (kind, options)."""
    if isinstance(sampler, str):
        if sampler not in SAMPLER_NAMES:
            raise ValueError(
                f"tune.run: sampler must be one of {SAMPLER_NAMES} or an Optuna sampler, got {sampler!r}"
            )
        return sampler, {"grid": Grid(), "coarse_to_fine": CoarseToFine()}.get(sampler)
    if isinstance(sampler, Grid):
        if isinstance(sampler.points, bool) or not isinstance(sampler.points, int) or sampler.points < 2:
            raise ValueError(f"tune.Grid: points must be an int >= 2, got {sampler.points!r}")
        return "grid", sampler
    if isinstance(sampler, CoarseToFine):
        if isinstance(sampler.rounds, bool) or not isinstance(sampler.rounds, int) or sampler.rounds < 1:
            raise ValueError(f"tune.CoarseToFine: rounds must be an int >= 1, got {sampler.rounds!r}")
        if not 0 < sampler.top <= 1:
            raise ValueError(f"tune.CoarseToFine: top must be in (0, 1], got {sampler.top!r}")
        if not sampler.margin >= 0:
            raise ValueError(f"tune.CoarseToFine: margin must be >= 0, got {sampler.margin!r}")
        if not 0 < sampler.keep <= 1:
            raise ValueError(f"tune.CoarseToFine: keep must be in (0, 1], got {sampler.keep!r}")
        return "coarse_to_fine", sampler
    import optuna

    if isinstance(sampler, optuna.samplers.BaseSampler):
        return "optuna", sampler
    raise TypeError(
        f"tune.run: sampler must be a name, tune.Grid, tune.CoarseToFine or an Optuna sampler, got {sampler!r}"
    )


def _clamp(params, dists):
    """Keep fixed numeric values inside their distribution (10**log10(a) may round just past a)."""
    from optuna.distributions import CategoricalDistribution

    return {
        key: value
        if isinstance(dists[key], CategoricalDistribution)
        else min(max(value, dists[key].low), dists[key].high)
        for key, value in params.items()
    }


class Plan:
    """What the driver asks for trial `index` (0-based, over the whole study, resumed trials included)."""

    def __init__(self, space, sampler, seed, n_trials, start):
        self.space = space
        self.kind, self.options = resolve(sampler)
        self.dists = spaces.distributions(space)
        grid_names = [n for n, d in space.items() if isinstance(d, spaces.Choice) and d.grid]
        if self.kind == "grid":
            grid_names = list(space)
        values = [
            spaces.grid_values(space[n], self.options.points if self.kind == "grid" else 0)
            for n in grid_names
        ]
        self.grid = (
            [dict(zip(grid_names, point)) for point in itertools.product(*values)] if grid_names else []
        )
        if self.kind == "grid":
            n_trials = len(self.grid) if n_trials is None else min(n_trials, len(self.grid))
        elif n_trials is None:
            raise ValueError(f"tune.run: n_trials is required with sampler {self.kind!r}")
        self.n_trials, self.seed = n_trials, seed
        self.sampler = self._optuna_sampler(sampler, seed, start)
        self.rounds = []  # coarse_to_fine: {"round", "first_trial", "ranges"} per round started

    def _optuna_sampler(self, sampler, seed, start):
        import optuna

        if self.kind == "optuna":
            return sampler
        # a resumed study must not replay the first trials' draws: the seed moves on with the start
        sub_seed = None if seed is None else int(np.random.SeedSequence([seed, start]).generate_state(1)[0])
        if self.kind == "tpe":
            return optuna.samplers.TPESampler(seed=sub_seed)
        return optuna.samplers.RandomSampler(seed=sub_seed)

    def round_bounds(self):
        """coarse_to_fine: the first trial index of each round (the budget split as evenly as it goes)."""
        rounds = self.options.rounds
        sizes = [self.n_trials // rounds + (1 if r < self.n_trials % rounds else 0) for r in range(rounds)]
        return [int(x) for x in np.cumsum([0] + sizes)[:-1] if x < self.n_trials] or [0]

    def starts_round(self, index):
        """Whether trial `index` opens a coarse_to_fine round after the first (the driver then waits for
        every running trial, so the new ranges see all of the previous round)."""
        return self.kind == "coarse_to_fine" and index > 0 and index in self.round_bounds()

    def fixed(self, index):
        """Optuna params to enqueue for trial `index`: a grid point, or the grid_search values cycled."""
        if not self.grid:
            return None
        point = self.grid[index % len(self.grid)]
        return _clamp(spaces.params_from_config(self.space, point), self.dists)

    def distributions(self, index, study):
        """Optuna distributions for trial `index`; coarse_to_fine shrinks them round by round."""
        if self.kind != "coarse_to_fine":
            return self.dists
        bounds = self.round_bounds()
        current = sum(1 for b in bounds if b <= index) - 1
        while len(self.rounds) <= current:
            self._next_round(bounds[len(self.rounds)], study)
        return spaces.distributions(self.rounds[current]["domains"])

    def _next_round(self, first_trial, study):
        import optuna

        domains = dict(self.space) if not self.rounds else dict(self.rounds[-1]["domains"])
        if self.rounds:
            done = [
                t
                for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
                if t.number < first_trial
            ]
            sign = -1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else 1.0
            done.sort(key=lambda t: sign * t.value)
            best = done[: max(2, math.ceil(self.options.top * len(done)))]
            if len(best) >= 2:
                for name in spaces.numeric(self.space):
                    configs = [spaces.config_from_params(self.space, t.params) for t in best]
                    domains[name] = self._shrink(domains[name], [c[name] for c in configs if name in c])
        ranges = {n: (d.low, d.high) for n, d in domains.items() if isinstance(d, spaces.Domain)}
        self.rounds.append(
            {"round": len(self.rounds) + 1, "first_trial": first_trial, "domains": domains, "ranges": ranges}
        )

    def _shrink(self, domain, values):
        lo, hi = domain.axis_range()
        ts = [domain.to_axis(v) for v in values]
        span = max(ts) - min(ts)
        # the top trials' span with a margin each side, but never under `keep` of the current width:
        # a few good trials close together by chance must not zoom past the optimum
        width = min(hi - lo, max(span * (1 + 2 * self.options.margin), self.options.keep * (hi - lo)))
        centre = (max(ts) + min(ts)) / 2
        a = min(max(lo, centre - width / 2), hi - width)  # shifted, not cut, to fit the current range
        b = a + width
        if isinstance(domain, spaces.RandInt):
            low, high = math.floor(a + 1e-9), math.ceil(b - 1e-9) + 1
            return domain.with_range(low, max(high, low + 1))
        ends = sorted((domain.from_axis(a), domain.from_axis(b)))
        # the shrunk range stays inside the original one despite rounding through the axis
        return domain.with_range(max(ends[0], domain.low), min(ends[1], domain.high))
