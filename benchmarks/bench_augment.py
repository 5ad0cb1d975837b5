"""Augmentation throughput: 28x28 single-channel float32 images through RandomRotation(15, bilinear) +
RandomCrop(28, padding=2), the batch path (one grid_sample call per batch), per thread count.

    python benchmarks/bench_augment.py [--batch 1000] [--repeats 20]
Prints images/s from the median wall time, and images per CPU-second (process CPU time, all threads) --
the second is less sensitive to other processes sharing the cores.
"""

import argparse
import statistics
import time

import numpy as np

import tensorlite as tl
from tensorlite.data import transforms as T


def measure(batch, repeats, threads):
    tl.set_num_threads(threads)
    images = np.random.default_rng(0).random((batch, 1, 28, 28)).astype(np.float32)
    pipeline = T.Compose([T.RandomRotation(15, interpolation="bilinear"), T.RandomCrop(28, padding=2)])
    pipeline(images)  # warm-up
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        pipeline(images)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return batch / statistics.median(walls), batch / statistics.median(cpus)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"{'threads':>7} {'images/s (wall)':>16} {'images/CPU-s':>13}")
    for threads in (1, 2):
        wall, cpu = measure(args.batch, args.repeats, threads)
        print(f"{threads:>7} {wall:>16,.0f} {cpu:>13,.0f}")
