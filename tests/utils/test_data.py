"""tensorlite.utils.data as torch.utils.data: DataLoader with real worker processes (order, seeding,
worker_init_fn, get_worker_info, persistent workers, IterableDataset, errors raised in workers)."""

import multiprocessing
import os

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.utils.data
from tensorlite.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    default_collate,
    get_worker_info,
)

_init_mark = None  # set by mark_worker in each worker process; stays None in the main process


def mark_worker(worker_id):
    global _init_mark
    _init_mark = 100 + worker_id


class Probe(Dataset):
    """Each sample tells which process made it and what that process's random sources gave."""

    def __init__(self, n=12):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "index": i,
            "worker": -1 if info is None else info.id,
            "seed": -1 if info is None else info.seed,
            "pid": os.getpid(),
            "init": -1 if _init_mark is None else _init_mark,
            "tl_draw": tl.rand(1).item(),
            "np_draw": float(np.random.random_sample()),
        }


class Failing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"sample {i} is broken")
        return i


class Range(IterableDataset):
    """range(start, stop); with split=True each worker yields only its share (i % num_workers == id)."""

    def __init__(self, start, stop, split):
        self.start, self.stop, self.split = start, stop, split

    def __iter__(self):
        info = get_worker_info()
        if not self.split or info is None:
            return iter(range(self.start, self.stop))
        return iter(range(self.start + info.id, self.stop, info.num_workers))


def field(loader, key):
    return [batch[key].tolist() for batch in loader]


def assert_no_workers_left():
    assert multiprocessing.active_children() == []


def test_the_torch_style_import_paths_reach_one_implementation():
    assert tl.utils.data is tensorlite.utils.data
    assert tl.utils.data.DataLoader is tl.data.DataLoader
    assert tl.utils.data.default_collate is tl.data.default_collate
    assert get_worker_info() is None  # the main process is no worker


@pytest.mark.parametrize("num_workers", [1, 3])
@pytest.mark.parametrize("shuffle", [False, True])
def test_workers_return_batches_in_the_order_of_a_single_process(num_workers, shuffle):
    dataset = TensorDataset(np.arange(23.0).reshape(23, 1), np.arange(23))

    def batches(workers):
        loader = DataLoader(
            dataset, batch_size=4, shuffle=shuffle, num_workers=workers, generator=tl.Generator(7)
        )
        return [[x.tolist(), y.tolist()] for x, y in loader]

    single = batches(0)
    assert batches(num_workers) == single
    assert sorted(i for _, y in single for i in y) == list(range(23))
    assert_no_workers_left()


def test_samples_come_from_the_workers_in_turn_and_are_reproducible_under_a_generator_seed():
    def run(seed):
        loader = DataLoader(
            Probe(12), batch_size=2, num_workers=3, shuffle=True, generator=tl.Generator(seed)
        )
        return list(loader)

    first, again, other = run(3), run(3), run(4)
    assert [b["worker"].tolist() for b in first] == [[w, w] for w in (0, 1, 2, 0, 1, 2)]
    for key in ("index", "seed", "tl_draw", "np_draw"):
        assert [b[key].tolist() for b in first] == [b[key].tolist() for b in again]
    assert [b["tl_draw"].tolist() for b in first] != [b["tl_draw"].tolist() for b in other]
    assert len({pid for b in first for pid in b["pid"].tolist()} | {os.getpid()}) == 4


def test_worker_seeds_are_base_seed_plus_id_and_seed_tl_numpy_and_random():
    loader = DataLoader(Probe(6), batch_size=1, num_workers=3, generator=tl.Generator(0))
    epoch1, epoch2 = list(loader), list(loader)
    seeds = {b["worker"].item(): b["seed"].item() for b in epoch1}
    base = seeds[0]
    assert seeds == {0: base, 1: base + 1, 2: base + 2}
    assert {b["seed"].item() for b in epoch2}.isdisjoint(seeds.values())  # a new base seed every epoch
    # What each worker drew first is what a generator seeded with its seed draws first.
    for b in epoch1[:3]:
        assert b["tl_draw"].item() == pytest.approx(
            tl.Generator(b["seed"].item()).numpy.random(1)[0], abs=1e-7
        )
    draws = [b["np_draw"].item() for b in epoch1[:3]]
    assert len(set(draws)) == 3


def test_worker_init_fn_runs_in_every_worker_and_not_in_the_main_process():
    loader = DataLoader(Probe(8), batch_size=2, num_workers=2, worker_init_fn=mark_worker)
    inits = {
        (b["worker"].item() if b["worker"].ndim == 0 else b["worker"][0].item()): b["init"].tolist()
        for b in loader
    }
    assert inits == {0: [100, 100], 1: [101, 101]}
    assert _init_mark is None
    assert field(DataLoader(Probe(4), batch_size=2), "init") == [[-1, -1], [-1, -1]]


def test_persistent_workers_keep_their_processes_and_seeds_across_epochs():
    loader = DataLoader(
        Probe(6),
        batch_size=3,
        num_workers=2,
        persistent_workers=True,
        shuffle=True,
        generator=tl.Generator(1),
    )
    epochs = [list(loader) for _ in range(3)]
    pids = [sorted({p for b in epoch for p in b["pid"].tolist()}) for epoch in epochs]
    seeds = [sorted({s for b in epoch for s in b["seed"].tolist()}) for epoch in epochs]
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    assert seeds[0] == seeds[1] == seeds[2]
    assert all(sorted(i for b in epoch for i in b["index"].tolist()) == list(range(6)) for epoch in epochs)
    assert len({tuple(b["index"].tolist()) for epoch in epochs for b in epoch}) > 2  # reshuffled each epoch
    fresh = DataLoader(Probe(6), batch_size=3, num_workers=2)
    assert {p for b in fresh for p in b["pid"].tolist()}.isdisjoint(
        {p for b in fresh for p in b["pid"].tolist()}
    )
    del loader
    assert_no_workers_left()


def test_persistent_workers_after_an_early_break_start_the_next_epoch_cleanly():
    dataset = TensorDataset(np.arange(40))
    loader = DataLoader(dataset, batch_size=2, num_workers=2, persistent_workers=True, prefetch_factor=4)
    for _ in loader:
        break
    assert [i for (b,) in loader for i in b.tolist()] == list(range(40))
    del loader
    assert_no_workers_left()


def test_iterable_dataset_gives_every_worker_the_whole_stream_unless_it_splits_by_worker_info():
    whole = [b.tolist() for b in DataLoader(Range(0, 5, split=False), batch_size=2, num_workers=2)]
    assert whole == [[0, 1], [0, 1], [2, 3], [2, 3], [4], [4]]  # PyTorch: duplicated, workers in turn
    split = [b.tolist() for b in DataLoader(Range(0, 7, split=True), batch_size=2, num_workers=2)]
    assert split == [[0, 2], [1, 3], [4, 6], [5]]
    dropped = [
        b.tolist() for b in DataLoader(Range(0, 7, split=True), batch_size=2, num_workers=2, drop_last=True)
    ]
    assert dropped == [[0, 2], [1, 3], [4, 6]]  # worker 1's last batch [5] is short
    single = [b.tolist() for b in DataLoader(Range(0, 5, split=True), batch_size=2)]
    assert single == [[0, 1], [2, 3], [4]]
    unbatched = list(DataLoader(Range(0, 3, split=True), batch_size=None, num_workers=3))
    assert unbatched == [0, 1, 2]


def test_iterable_dataset_with_persistent_workers_restarts_the_stream_each_epoch():
    loader = DataLoader(Range(0, 6, split=True), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in loader] == [b.tolist() for b in loader] == [[0, 2], [1, 3], [4], [5]]
    del loader
    assert_no_workers_left()


def test_an_exception_in_a_worker_is_reraised_with_its_traceback_and_the_workers_stop():
    loader = DataLoader(Failing(), batch_size=2, num_workers=2)
    seen = []
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 0") as error:
        for batch in loader:
            seen.append(batch.tolist())
    assert seen == [[0, 1], [2, 3]]
    assert "sample 5 is broken" in str(error.value) and "Traceback" in str(error.value)
    assert_no_workers_left()


def test_worker_init_fn_errors_and_unpicklable_batches_are_reported_not_hung():
    def bad_init(worker_id):
        raise KeyError(f"init of {worker_id}")

    with pytest.raises(KeyError, match="in DataLoader worker process 0"):
        list(DataLoader(Probe(4), num_workers=1, worker_init_fn=bad_init))
    with pytest.raises(Exception, match=r"DataLoader worker process \d") as error:
        list(DataLoader(Probe(4), batch_size=1, num_workers=2, collate_fn=lambda s: lambda: s))
    assert "pickle" in str(error.value).lower()
    assert_no_workers_left()


def test_a_worker_that_dies_is_reported_with_its_exit_code():
    class Dies(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if get_worker_info() is not None and i == 1:
                os._exit(3)
            return i

    with pytest.raises(
        RuntimeError, match=r"DataLoader worker 1 \(pid \d+\) exited unexpectedly with exit code 3"
    ):
        list(DataLoader(Dies(), batch_size=1, num_workers=2))
    assert_no_workers_left()


def test_batch_size_none_converts_each_sample_and_pin_memory_is_accepted():
    class Pairs(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full(2, i), (np.int64(i), "name")

    for workers in (0, 2):
        out = list(DataLoader(Pairs(), batch_size=None, num_workers=workers, pin_memory=True))
        assert [x.tolist() for x, _ in out] == [[0, 0], [1, 1], [2, 2]]
        assert [(y[0].item(), y[1]) for _, y in out] == [(0, "name"), (1, "name"), (2, "name")]
    assert default_collate([(1, "a"), (2, "b")])[1] == ["a", "b"]


def test_spawn_start_method_loads_the_same_batches():
    dataset = TensorDataset(np.arange(10.0), np.arange(10))
    loader = DataLoader(dataset, batch_size=3, num_workers=2, multiprocessing_context="spawn")
    assert [y.tolist() for _, y in loader] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert_no_workers_left()


def test_bad_arguments_name_what_is_wrong():
    dataset = TensorDataset(np.arange(4))
    cases = [
        ({"num_workers": -1}, "num_workers must be an int >= 0, got -1"),
        ({"timeout": -2}, "timeout must be a number >= 0, got -2"),
        ({"prefetch_factor": 2}, "prefetch_factor needs num_workers > 0"),
        ({"num_workers": 1, "prefetch_factor": 0}, "prefetch_factor must be a positive int, got 0"),
        ({"persistent_workers": True}, "persistent_workers=True needs num_workers > 0"),
        ({"multiprocessing_context": "teleport"}, "multiprocessing_context 'teleport' is not one of"),
        ({"batch_size": None, "drop_last": True}, "mutually exclusive with drop_last"),
        ({"batch_size": 2.5}, "batch_size must be a positive int, got 2.5"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            DataLoader(dataset, **kwargs)
    with pytest.raises(ValueError, match="IterableDataset takes no shuffle"):
        DataLoader(Range(0, 3, split=False), shuffle=True)
    with pytest.raises(TypeError):
        len(DataLoader(Range(0, 3, split=False)))
