"""Random number generation: every random draw in tensorlite goes through a Generator."""

import numpy as np


class Generator:
    """A seedable source of random numbers (wraps NumPy's PCG64), like torch.Generator."""

    def __init__(self, seed=None):
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._seed = seed

    def manual_seed(self, seed):
        """Reseed this generator; the same seed gives the same sequence of draws. Returns self."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self._rng = np.random.Generator(np.random.PCG64(int(seed)))
        self._seed = int(seed)
        return self

    def initial_seed(self):
        """The seed last given to this generator (None if it was seeded from OS entropy)."""
        return self._seed

    def get_state(self):
        """The generator's full state (a dict) for checkpoints."""
        return self._rng.bit_generator.state

    def set_state(self, state):
        """Restore a state returned by get_state()."""
        self._rng.bit_generator.state = state

    @property
    def numpy(self):
        """The underlying numpy.random.Generator."""
        return self._rng


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator so that a run is reproducible bit for bit. Returns the generator."""
    return default_generator.manual_seed(seed)


def rng(generator=None):
    """The numpy.random.Generator to draw from: `generator`'s if given, else the default one."""
    if generator is None:
        return default_generator.numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tl.Generator, got {type(generator).__name__}")
    return generator.numpy
