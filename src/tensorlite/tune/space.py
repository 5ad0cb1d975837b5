"""Search-space functions named after Ray Tune's, each sampling on the scale the tuning guides teach.

loguniform(a, b):            x = 10**u, u ~ U(log10 a, log10 b)      (learning rates: lr = 10**(-5 r))
one_minus_loguniform(a, b):  x = 1 - 10**u, u ~ U(log10(1-b), log10(1-a))   (momentum-like beta)
uniform(a, b):               x ~ U(a, b)                              (dropout, units)
randint(a, b):               x ~ U{a, ..., b-1}                       (upper bound exclusive, like Ray Tune)
choice(values):              one of the values, each with probability 1/len
grid_search(values):         every value is tried, in turn (the "grid" sampler takes their product)

Numeric domains map onto a "search axis" t where sampling is uniform: t = log10 x for loguniform,
t = log10(1 - x) for one_minus_loguniform and t = x otherwise. Grids and coarse-to-fine ranges are
computed on that axis.
"""

import math
from dataclasses import dataclass

import numpy as np

_CATEGORY_TYPES = (bool, int, float, str, type(None))


def _number(value, what, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"tune.{name}: {what} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"tune.{name}: {what} must be finite, got {value!r}")
    return value


@dataclass(frozen=True)
class Domain:
    """A range to sample one hyperparameter from; `check(param)` raises ValueError naming the parameter."""

    low: float
    high: float

    kind = "uniform"
    log = False

    def check(self, param):
        _number(self.low, "low", self.kind)
        _number(self.high, "high", self.kind)
        if not self.low < self.high:
            raise ValueError(
                f"tune: parameter {param!r}: {self.kind} needs low < high, got low={self.low!r}, high={self.high!r}"
            )

    def to_axis(self, x):
        """The search-axis coordinate t of value x (sampling is uniform in t)."""
        return float(x)

    def from_axis(self, t):
        """The value at search-axis coordinate t."""
        return float(t)

    def axis_range(self):
        return self.to_axis(self.low), self.to_axis(self.high)

    def with_range(self, low, high):
        """The same kind of domain over [low, high]."""
        return type(self)(low, high)

    def describe(self):
        return f"{self.kind}({self.low:.6g}, {self.high:.6g})"


class Uniform(Domain):
    kind = "uniform"


class LogUniform(Domain):
    kind = "loguniform"
    log = True

    def check(self, param):
        super().check(param)
        if self.low <= 0:
            raise ValueError(f"tune: parameter {param!r}: loguniform needs low > 0, got low={self.low!r}")

    def to_axis(self, x):
        return math.log10(x)

    def from_axis(self, t):
        return 10.0**t


class OneMinusLogUniform(Domain):
    kind = "one_minus_loguniform"
    log = True

    def check(self, param):
        super().check(param)
        if self.high >= 1:
            raise ValueError(
                f"tune: parameter {param!r}: one_minus_loguniform needs high < 1 (1 - x is log-uniform), "
                f"got high={self.high!r}"
            )

    def to_axis(self, x):
        return math.log10(1.0 - x)

    def from_axis(self, t):
        return 1.0 - 10.0**t

    def axis_range(self):
        # t decreases as x grows; the axis runs from t(high) to t(low)
        return self.to_axis(self.high), self.to_axis(self.low)


class RandInt(Domain):
    kind = "randint"

    def check(self, param):
        for what, value in (("low", self.low), ("high", self.high)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"tune: parameter {param!r}: randint {what} must be an int, got {value!r}")
        super().check(param)

    def from_axis(self, t):
        return round(float(t))

    def axis_range(self):
        return float(self.low), float(self.high - 1)


@dataclass(frozen=True)
class Choice:
    """One of `values`, uniformly; grid=True for grid_search (every value is tried)."""

    values: tuple
    grid: bool = False

    @property
    def kind(self):
        return "grid_search" if self.grid else "choice"

    def check(self, param):
        if len(self.values) == 0:
            raise ValueError(f"tune: parameter {param!r}: {self.kind} needs at least one value, got []")
        for value in self.values:
            if not isinstance(value, _CATEGORY_TYPES):
                raise TypeError(
                    f"tune: parameter {param!r}: {self.kind} values must be None, bool, int, float or str "
                    f"(what Optuna stores), got {value!r}"
                )
        if len(set(map(repr, self.values))) != len(self.values):
            raise ValueError(f"tune: parameter {param!r}: {self.kind} values repeat: {list(self.values)!r}")

    def describe(self):
        return f"{self.kind}({list(self.values)!r})"


def loguniform(low, high):
    """x = 10**u with u ~ U(log10 low, log10 high): every decade gets the same share of samples."""
    return LogUniform(low, high)


def one_minus_loguniform(low, high):
    """x = 1 - 10**u, u ~ U(log10(1 - high), log10(1 - low)); for beta in [0.9, 0.999] this is the
    guides' beta = 1 - 10**(-r - 1), r ~ U(0, 2)."""
    return OneMinusLogUniform(low, high)


def uniform(low, high):
    """x ~ U(low, high)."""
    return Uniform(low, high)


def randint(low, high):
    """An integer in low, ..., high - 1, each with probability 1 / (high - low) (upper bound exclusive)."""
    return RandInt(low, high)


def choice(values):
    """One of `values` (None, bool, int, float or str), each with probability 1 / len(values)."""
    return Choice(tuple(values))


def grid_search(values):
    """Try every value: the 'grid' sampler takes the product over all grid_search parameters; other
    samplers give trial k the value values[k % len(values)]."""
    return Choice(tuple(values), grid=True)


def check_space(space):
    """Validate a {name: domain} dict before any trial runs; returns it as a plain dict.
    Raises ValueError/TypeError naming the offending parameter."""
    if not isinstance(space, dict) or not space:
        raise ValueError(f"tune: space must be a non-empty dict of name -> domain, got {space!r}")
    for name, domain in space.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"tune: parameter names must be non-empty strings, got {name!r}")
        if not isinstance(domain, (Domain, Choice)):
            raise TypeError(
                f"tune: parameter {name!r}: expected tune.loguniform/one_minus_loguniform/uniform/randint/"
                f"choice/grid_search, got {domain!r}"
            )
        domain.check(name)
    return dict(space)


def numeric(space):
    """The names of the numeric (range) parameters, in space order."""
    return [name for name, domain in space.items() if isinstance(domain, Domain)]


def optuna_name(name, domain):
    """The name Optuna stores the parameter under: one_minus_loguniform parameters are stored as
    '1-<name>' with a log-uniform distribution, so Optuna's samplers see the scale they are searched on."""
    return f"1-{name}" if isinstance(domain, OneMinusLogUniform) else name


def distributions(space):
    """Optuna distributions for the space, keyed by optuna_name."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    result = {}
    for name, domain in space.items():
        key = optuna_name(name, domain)
        if isinstance(domain, Choice):
            result[key] = CategoricalDistribution(domain.values)
        elif isinstance(domain, RandInt):
            result[key] = IntDistribution(int(domain.low), int(domain.high) - 1)
        elif isinstance(domain, OneMinusLogUniform):
            result[key] = FloatDistribution(1.0 - domain.high, 1.0 - domain.low, log=True)
        else:
            result[key] = FloatDistribution(float(domain.low), float(domain.high), log=domain.log)
    return result


def config_from_params(space, params):
    """The user-facing config of an Optuna params dict (undoing the '1-<name>' storage of one_minus)."""
    config = {}
    for name, domain in space.items():
        key = optuna_name(name, domain)
        if key in params:
            config[name] = 1.0 - params[key] if isinstance(domain, OneMinusLogUniform) else params[key]
    return config


def params_from_config(space, config):
    """The Optuna params of a (partial) config: the inverse of config_from_params."""
    return {
        optuna_name(name, space[name]): (
            1.0 - value if isinstance(space[name], OneMinusLogUniform) else value
        )
        for name, value in config.items()
    }


def grid_values(domain, points):
    """The values a grid tries for one parameter: all choices; for ranges `points` values evenly spaced on
    the search axis (endpoints included; every integer when randint has no more than `points`)."""
    if isinstance(domain, Choice):
        return list(domain.values)
    if isinstance(domain, RandInt) and domain.high - domain.low <= points:
        return list(range(int(domain.low), int(domain.high)))
    a, b = domain.axis_range()
    values = [domain.from_axis(t) for t in np.linspace(a, b, points)]
    return sorted(dict.fromkeys(values))  # rounding randint can repeat a value
