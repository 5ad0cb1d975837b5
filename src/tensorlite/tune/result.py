"""The outcome of tune.run: every trial of the study, the best one, a CSV and a text table."""

import csv
import math
import os
from dataclasses import dataclass, field

from tensorlite.tune import space as spaces


@dataclass
class TrialRecord:
    """One trial: its config, final value (None unless COMPLETE or PRUNED after a report), state
    (COMPLETE, PRUNED or FAIL), objective wall time, intermediate reports [(step, value)], the error of
    a failed trial, the worker it ran on and its seed."""

    number: int
    config: dict
    value: object
    state: str
    seconds: object = None
    reports: list = field(default_factory=list)
    error: object = None
    worker: object = None
    seed: object = None


class TuneResult:
    """trials (TrialRecords by number), best_trial / best_config / best_value over COMPLETE trials,
    rounds (coarse_to_fine: the ranges of each round), to_csv(path), plot(out_dir), table()."""

    def __init__(self, trials, space, direction, rounds=(), study_name=None):
        self.trials = sorted(trials, key=lambda t: t.number)
        self.space, self.direction, self.rounds, self.study_name = space, direction, list(rounds), study_name

    @classmethod
    def from_study(cls, study, space, rounds=()):
        """Read every trial back from an Optuna study run by tune.run."""
        records = []
        for t in study.get_trials(deepcopy=False):
            attrs = t.user_attrs.get("tensorlite", {})
            value = t.value if t.state.name in ("COMPLETE", "PRUNED") else None
            records.append(
                TrialRecord(
                    number=t.number,
                    config=spaces.config_from_params(space, t.params),
                    value=value,
                    state=t.state.name,
                    seconds=attrs.get("seconds"),
                    reports=sorted(t.intermediate_values.items()),
                    error=attrs.get("error"),
                    worker=attrs.get("worker"),
                    seed=attrs.get("seed"),
                )
            )
        return cls(records, space, study.direction.name.lower(), rounds, study.study_name)

    def count(self, state):
        """How many trials ended in `state` (COMPLETE, PRUNED or FAIL)."""
        return sum(t.state == state for t in self.trials)

    @property
    def best_trial(self):
        """The COMPLETE trial with the best value (ties: the earliest); ValueError when none completed."""
        done = [t for t in self.trials if t.state == "COMPLETE"]
        if not done:
            raise ValueError(f"tune: no trial completed ({len(self.trials)} trials: {self._states()})")
        sign = -1.0 if self.direction == "maximize" else 1.0
        return min(done, key=lambda t: (sign * t.value, t.number))

    @property
    def best_config(self):
        return dict(self.best_trial.config)

    @property
    def best_value(self):
        return self.best_trial.value

    def _states(self):
        return ", ".join(f"{self.count(s)} {s.lower()}" for s in ("COMPLETE", "PRUNED", "FAIL"))

    def to_csv(self, path):
        """One row per trial: number, state, value, seconds, steps (reports), the config, worker, error."""
        names = list(self.space)
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["number", "state", "value", "seconds", "steps", *names, "worker", "error"])
            for t in self.trials:
                writer.writerow(
                    [
                        t.number,
                        t.state,
                        _blank(t.value),
                        _blank(t.seconds),
                        len(t.reports),
                        *[_blank(t.config.get(n)) for n in names],
                        _blank(t.worker),
                        _blank(t.error),
                    ]
                )
        return path

    def table(self, top=10):
        """The best `top` completed trials as aligned text, then the counts per state."""
        sign = -1.0 if self.direction == "maximize" else 1.0
        done = sorted((t for t in self.trials if t.state == "COMPLETE"), key=lambda t: sign * t.value)[:top]
        names = list(self.space)
        rows = [["trial", "value", "seconds", *names]]
        for t in done:
            rows.append(
                [
                    str(t.number),
                    f"{t.value:.4f}",
                    f"{t.seconds:.1f}" if t.seconds else "",
                    *[_short(t.config.get(n)) for n in names],
                ]
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        return "\n".join([*lines, f"{len(self.trials)} trials: {self._states()}"])

    def plot(self, out_dir):
        """Write history.png, slices.png, parallel.png and (two or more numeric parameters, three or
        more completed trials) contour.png into out_dir; returns their paths. Needs matplotlib."""
        from tensorlite.tune.plots import write_plots

        os.makedirs(out_dir, exist_ok=True)
        return write_plots(self, out_dir)


def _blank(value):
    return "" if value is None else value


def _short(value):
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    return str(value)
