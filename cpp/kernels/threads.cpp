// Thread-count control (OpenMP) and CPUID-based ISA detection.
#include "kernels/threads.h"

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

std::string detect_cpu_isa() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
    return "generic";
}

}  // namespace tl
