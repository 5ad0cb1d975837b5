// The kernels' runtime helpers: when a kernel goes parallel (one threshold per kernel), this thread's
// index, overflow-checked sizes, scratch allocated before a parallel region, and exceptions carried out
// of one.
//
// An exception that leaves an OpenMP parallel region calls std::terminate (the process aborts), so every
// scratch buffer is allocated before the region (one buffer, a slice per thread), and the work inside a
// region runs through ParallelErrors::run, which keeps the first exception (say std::bad_alloc from a
// GEMM growing its packing buffer) and rethrows it after the region, where pybind11 turns it into a
// Python exception (MemoryError for std::bad_alloc).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <new>

#ifdef TENSORLITE_OPENMP
#include <omp.h>
#endif

namespace tl {

// This thread's number in the innermost parallel region (0 outside one): the slice of scratch it uses.
inline int thread_index() {
#ifdef TENSORLITE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

// Whether this thread runs inside an OpenMP parallel region (whose per-thread work must not be tuned).
inline bool in_parallel_region() {
#ifdef TENSORLITE_OPENMP
    return omp_in_parallel() != 0;
#else
    return false;
#endif
}

// ceil(a / b) for a >= 0, b > 0: how many blocks of b cover a.
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---------------------------------------------------------------- when a kernel goes parallel
// Below its threshold a call stays on one thread: waking an OpenMP team costs a few microseconds, more
// than a small call saves (and much more on a busy machine). The unit is the kernel's own measure of work.
// On a combined `parallel for simd` the threshold is `if (parallel : ...)`: a bare `if` applies to the simd
// construct too (OpenMP 5.0), so below the threshold the loop ran unvectorized (relu on 65,536 float32
// values 0.27 ms, against 0.008 ms on 65,537, which went "parallel" on one thread).

// GEMM: multiply-adds each thread must get, or fewer threads run (gemm_driver.cpp), so that another
// thread brings more than it costs.
constexpr int64_t kGemmWorkPerThread = int64_t(1) << 17;
// Direct / im2col convolution: multiply-adds of one call (conv.cpp); the same cost model as GEMM's.
constexpr int64_t kConvParallelMinWork = 1 << 17;
// Winograd convolution: multiply-adds of one call (winograd.cpp), as for the other conv algorithms.
constexpr int64_t kWinogradParallelMinWork = 1 << 17;
// im2col / col2im: values copied (im2col.cpp); a copy is cheaper per value than a multiply-add loop.
constexpr int64_t kIm2colParallelMin = 65536;
// Fused optimizer updates: elements (optim_loops.h); each is ~10 flops over 3-5 streamed arrays.
constexpr int64_t kOptimParallelMin = 32768;
// Batch / layer / group norm: values of x (batchnorm.cpp, layernorm.cpp); two or three passes per value.
constexpr int64_t kNormParallelMin = 32768;
// Batch norm's threads (batchnorm.cpp; its value groups start at kNormParallelMin): each call has two or
// three barriers, and with the short spin before sleeping each may wait for a thread's wake-up. Measured
// on the 2-core development VM: (64, 6, 24, 24), 221K values, ran faster on one thread; 256x1024, 262K
// values, and (32, 16, 28, 28), 401K, on two.
constexpr int64_t kBatchNormParallelMin = int64_t(1) << 18;
// Pooling: input plus output elements (pool.cpp); a few compares or adds per element.
constexpr int64_t kPoolParallelMin = 32768;
// Cheap elementwise loops (relu, and the activation gradients from saved outputs): elements
// (activation.cpp); one compare or multiply-add each, so it takes twice the transcendental threshold.
constexpr int64_t kCheapElementwiseParallelMin = 65536;
// Elementwise loops with an exp / tanh / erf per element (activation.cpp, parametric_activation.cpp).
constexpr int64_t kTranscendentalParallelMin = 32768;
// Softmax: rows * cols values (softmax.cpp); an exp and two passes per value, so half the
// transcendental threshold.
constexpr int64_t kSoftmaxParallelMin = 16384;
// grid_sample: output values, points x channels (grid_sample.cpp); each reads four inputs.
constexpr int64_t kGridSampleParallelMin = 16384;
// LSTM / GRU gates: hidden values per step (rnn.cpp): half the transcendental threshold, since each
// hidden value costs about five exp/tanh evaluations. Not measured separately.
constexpr int64_t kRnnParallelMin = 16384;

// a * b for a, b >= 0, or INT64_MAX when the product does not fit (for comparing a size with a budget).
inline int64_t mul_sat(int64_t a, int64_t b) {
    if (a == 0 || b == 0) return 0;
    return a > std::numeric_limits<int64_t>::max() / b ? std::numeric_limits<int64_t>::max() : a * b;
}

// A zero-initialized scratch buffer of count1 * count2 elements; std::bad_alloc when the size does not fit
// in memory or in int64 (never call inside a parallel region).
template <typename T>
std::unique_ptr<T[]> scratch_buffer(int64_t count1, int64_t count2 = 1) {
    const int64_t count = mul_sat(mul_sat(std::max<int64_t>(count1, 0), std::max<int64_t>(count2, 0)),
                                  static_cast<int64_t>(sizeof(T)));
    if (count == std::numeric_limits<int64_t>::max()) throw std::bad_alloc();
    return std::unique_ptr<T[]>(new T[static_cast<size_t>(count) / sizeof(T)]());
}

// As scratch_buffer, but uninitialized: for buffers written in full before they are read, where zeroing
// would be a second pass over memory the kernel then overwrites.
template <typename T>
std::unique_ptr<T[]> scratch_buffer_uninitialized(int64_t count1, int64_t count2 = 1) {
    const int64_t count = mul_sat(mul_sat(std::max<int64_t>(count1, 0), std::max<int64_t>(count2, 0)),
                                  static_cast<int64_t>(sizeof(T)));
    if (count == std::numeric_limits<int64_t>::max()) throw std::bad_alloc();
    return std::unique_ptr<T[]>(new T[static_cast<size_t>(count) / sizeof(T)]);
}

// Carries the first exception out of a parallel region: run(f) inside, rethrow() after. Once one piece
// of work has failed the others are skipped (their results are discarded anyway).
class ParallelErrors {
public:
    template <typename F>
    void run(F&& f) noexcept {
        if (failed_.load(std::memory_order_relaxed)) return;
        try {
            f();
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) error_ = std::current_exception();
            failed_.store(true, std::memory_order_relaxed);
        }
    }
    void rethrow() const {
        if (error_) std::rethrow_exception(error_);
    }

private:
    std::atomic<bool> failed_{false};
    std::mutex mutex_;
    std::exception_ptr error_;
};

}  // namespace tl
