// Kernels chosen by measurement (tl.backends.cpu.benchmark, the idea of torch.backends.cudnn.benchmark):
// with tuning on, the first call of a configuration (op, dtype, sizes, threads) times each candidate
// (GEMM kernel variant, conv algorithm x variant) on the real call, keeps the fastest in a process-wide
// cache, and later calls of the configuration run the winner. Every candidate computes the whole, correct
// result, so the output of the first call is that of the last candidate timed.
//
// Never tunes inside an OpenMP parallel region (a conv's per-thread GEMMs) or under a choice made above
// (GemmKernelScope, gemm.h): the caller that opened it is the one being tuned.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tl::autotune {

// The switch; off by default (docs/kernels.md gives the first-call cost behind that).
bool enabled();
void set_enabled(bool on);

// One configuration and what was chosen for it.
struct Entry {
    std::string op;     // "gemm", "gemm_batched", "conv2d_forward", "conv2d_backward"
    std::string dtype;  // "float32" or "float64"
    std::vector<std::pair<std::string, int64_t>> sizes;  // named sizes and flags, in a fixed order per op
    int threads = 1;
    std::string algorithm;  // the conv algorithm ("" for a GEMM)
    std::string kernel;     // the GEMM kernel variant
    // Best time in seconds of each candidate, labelled "kernel" or "algorithm/kernel" (empty when the entry
    // was loaded rather than measured here).
    std::vector<std::pair<std::string, double>> seconds;
};

// The cache key of a configuration: op, dtype, the values of sizes, and threads (not the choice).
std::string key_of(const Entry& e);

// Looks up the configuration of `e` (its op, dtype, sizes, threads); on a hit fills algorithm and kernel.
bool lookup(Entry& e);
// Records `e` (replacing the entry of the same configuration).
void store(const Entry& e);
std::vector<Entry> entries();
void clear();

// Times candidates 0..count-1 on the real call and returns the index of the fastest. run(i) computes the
// whole output by candidate i; restore (may be empty) puts back what a run changes and the next one reads
// (C of a product with beta != 0). Each runs once timed; candidate 0 (whose run was the cold one: first-touch
// page faults, packing buffers), those within kRerunRatio of the best and the short ones (under a
// millisecond, where a cold start can dominate) run once more, and the minimum counts. seconds[i] :=
// candidate i's best time.
size_t measure(size_t count, const std::function<void(size_t)>& run, const std::function<void()>& restore,
               std::vector<double>& seconds);

}  // namespace tl::autotune
