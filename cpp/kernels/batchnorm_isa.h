// The per-instruction-set builds of the batch-norm loops. batchnorm_loops.h holds the loops once; each
// build's translation unit (batchnorm_generic.cpp, batchnorm_avx2.cpp, batchnorm_avx512.cpp, compiled
// with that set's flags) includes it inside its own namespace below, which defines that namespace's
// table(). batchnorm.cpp splits the work, reduces the partial sums and picks the table that runs through
// cpu_features.h. The loops stream memory, but on data that fits in the caches they are compute-bound:
// 4-wide SSE2 ran them at ~12 GB/s per core.
#pragma once
#include <cstdint>

namespace tl {
namespace batchnorm_impl {

// x as (N, C, S); the M = N*S values of each channel split into `count` groups of consecutive
// (sample, position) pairs, the same ones for every channel: group g holds values [begin(g), begin(g+1))
// with begin(g) = (m / count) * g + min(g, m % count). A plain struct (no inline code), since the builds
// are compiled with different instruction sets.
struct Split {
    int64_t n, c, s, m, count;
};

// One build's loops over group g of a Split; formulas in batchnorm.h. Sums go to per-channel double
// arrays [0, C) of that group.
template <typename T>
struct Kernels {
    // sum_c += sum (x - shift_c), sumsq_c += sum (x - shift_c)^2
    void (*moments)(const T* x, const Split& sp, int64_t g, const double* shift, double* sum, double* sumsq);
    // sum_dy_c += sum dy, sum_dy_xc_c += sum dy * (x - mean_c)
    void (*grad_moments)(const T* x, const T* dy, const T* mean, const Split& sp, int64_t g, double* sum_dy,
                         double* sum_dy_xc);
    // y = x * scale_c + offset_c
    void (*affine)(const T* x, T* y, const T* scale, const T* offset, const Split& sp, int64_t g);
    // dx = a_c * dy + b_c * (x - mean_c) + k_c
    void (*grad_input)(const T* x, const T* dy, const T* mean, const T* a, const T* b, const T* k, T* dx,
                       const Split& sp, int64_t g);
};

struct Table {
    Kernels<float> f32;
    Kernels<double> f64;
};

// Each returns nullptr where its unit was compiled without the instruction set (non-x86, other compilers).
namespace generic {
const Table* table();
}
namespace avx2 {
const Table* table();
}
namespace avx512 {
const Table* table();
}

}  // namespace batchnorm_impl
}  // namespace tl
