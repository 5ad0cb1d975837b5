// Thread-count control (OpenMP) and a core-clock measurement.
#include "kernels/runtime.h"

#include <chrono>
#include <cstdint>

#ifdef TENSORLITE_OPENMP
#include <omp.h>
#endif

namespace tl {

int get_num_threads() {
#ifdef TENSORLITE_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void set_num_threads(int n) {
#ifdef TENSORLITE_OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

bool openmp_enabled() {
#ifdef TENSORLITE_OPENMP
    return true;
#else
    return false;
#endif
}

double measure_clock_ghz() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // Each iteration is 8 dependent adds (8 cycles of latency); loop overhead runs in parallel.
    constexpr uint64_t kIterations = 20'000'000;
    double best = 0.0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        uint64_t x = 0;
        const auto start = std::chrono::steady_clock::now();
        for (uint64_t i = 0; i < kIterations; ++i) {
            asm volatile(
                "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                : "+r"(x));
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double ghz = 8.0 * kIterations / seconds / 1e9;
        best = ghz > best ? ghz : best;
    }
    return best;
#else
    return 0.0;
#endif
}

}  // namespace tl
