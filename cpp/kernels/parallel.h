// Safety helpers shared by the kernels: overflow-checked sizes, scratch allocated before a parallel
// region, and exceptions carried out of one.
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
