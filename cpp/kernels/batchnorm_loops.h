// The batch-norm loops over one value group (batchnorm_isa.h), written once and compiled once per
// instruction set: each build's unit includes this file inside its namespace tl::batchnorm_impl::<isa>,
// after batchnorm_isa.h, and gets that namespace's table(). It therefore has no include guard and
// includes nothing (and calls no inline function from elsewhere, whose one surviving copy could carry
// another build's instructions).
//
// Each group is a contiguous stretch of x in memory (cut mid-row at its ends), visited row by row
// (sample i, channel j): a row segment runs along positions; for S = 1 ((N, C) input) a sample's channels
// are contiguous and the loops run along them instead. Channel sums over a row segment accumulate in T, one
// lane per vector element (omp simd reduction), flushed into double every kChunk values. (Hand-written
// arrays of 16 lanes made GCC vectorize across the lanes with shuffles, several times slower.)

constexpr int64_t kChunk = 1024;

inline int64_t group_begin(const Split& sp, int64_t g) {
    const int64_t rest = sp.m % sp.count;
    return (sp.m / sp.count) * g + (g < rest ? g : rest);
}

// f(i, k0, k1) for each sample i that group g touches, with its position range [k0, k1).
template <typename F>
void for_each_row(const Split& sp, int64_t g, F&& f) {
    const int64_t m0 = group_begin(sp, g), m1 = group_begin(sp, g + 1);
    for (int64_t i = m0 / sp.s; i * sp.s < m1; ++i) {
        const int64_t lo = m0 - i * sp.s, hi = m1 - i * sp.s;
        f(i, lo > 0 ? lo : 0, hi < sp.s ? hi : sp.s);
    }
}

// sum += sum_k (x_k - shift), sumsq += sum_k (x_k - shift)^2 over x[0, len).
template <typename T>
void add_shifted_moments(const T* __restrict x, int64_t len, T shift, double& sum, double& sumsq) {
    for (int64_t start = 0; start < len; start += kChunk) {
        const int64_t end = len < start + kChunk ? len : start + kChunk;
        T a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
        for (int64_t k = start; k < end; ++k) {
            const T d = x[k] - shift;
            a += d;
            b += d * d;
        }
        sum += a;
        sumsq += b;
    }
}

// sum_g += sum_k g_k, sum_gx += sum_k g_k (x_k - mean) over [0, len), in the same chunks.
template <typename T>
void add_grad_moments(const T* __restrict x, const T* __restrict g, int64_t len, T mean, double& sum_g,
                      double& sum_gx) {
    for (int64_t start = 0; start < len; start += kChunk) {
        const int64_t end = len < start + kChunk ? len : start + kChunk;
        T a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
        for (int64_t k = start; k < end; ++k) {
            a += g[k];
            b += g[k] * (x[k] - mean);
        }
        sum_g += a;
        sum_gx += b;
    }
}

template <typename T>
void moments(const T* x, const Split& sp, int64_t g, const double* shift, double* sum, double* sumsq) {
    const int64_t c = sp.c, s = sp.s;
    for_each_row(sp, g, [&](int64_t i, int64_t k0, int64_t k1) {
        const T* row = x + i * c * s;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) {
                const double d = static_cast<double>(row[j]) - shift[j];
                sum[j] += d;
                sumsq[j] += d * d;
            }
        } else {
            for (int64_t j = 0; j < c; ++j)
                add_shifted_moments(row + j * s + k0, k1 - k0, static_cast<T>(shift[j]), sum[j], sumsq[j]);
        }
    });
}

template <typename T>
void grad_moments(const T* x, const T* dy, const T* mean, const Split& sp, int64_t g, double* sum_dy,
                  double* sum_dy_xc) {
    const int64_t c = sp.c, s = sp.s;
    for_each_row(sp, g, [&](int64_t i, int64_t k0, int64_t k1) {
        const T *xr = x + i * c * s, *gr = dy + i * c * s;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) {
                const double d = gr[j];
                sum_dy[j] += d;
                sum_dy_xc[j] += d * (static_cast<double>(xr[j]) - static_cast<double>(mean[j]));
            }
        } else {
            for (int64_t j = 0; j < c; ++j)
                add_grad_moments(xr + j * s + k0, gr + j * s + k0, k1 - k0, mean[j], sum_dy[j], sum_dy_xc[j]);
        }
    });
}

template <typename T>
void affine(const T* x, T* y, const T* scale, const T* offset, const Split& sp, int64_t g) {
    const int64_t c = sp.c, s = sp.s;
    for_each_row(sp, g, [&](int64_t i, int64_t k0, int64_t k1) {
        const T* __restrict xr = x + i * c * s;
        T* __restrict yr = y + i * c * s;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) yr[j] = xr[j] * scale[j] + offset[j];
        } else {
            for (int64_t j = 0; j < c; ++j) {
                const T a = scale[j], b = offset[j];
                const T* __restrict xs = xr + j * s;
                T* __restrict ys = yr + j * s;
#pragma omp simd
                for (int64_t k = k0; k < k1; ++k) ys[k] = xs[k] * a + b;
            }
        }
    });
}

template <typename T>
void grad_input(const T* x, const T* dy, const T* mean, const T* a, const T* b, const T* k, T* dx,
                const Split& sp, int64_t g) {
    const int64_t c = sp.c, s = sp.s;
    for_each_row(sp, g, [&](int64_t i, int64_t k0, int64_t k1) {
        const T *__restrict xr = x + i * c * s, *__restrict gr = dy + i * c * s;
        T* __restrict out = dx + i * c * s;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) out[j] = a[j] * gr[j] + b[j] * (xr[j] - mean[j]) + k[j];
        } else {
            for (int64_t j = 0; j < c; ++j) {
                const T aj = a[j], bj = b[j], kj = k[j], mu = mean[j];
                const T *__restrict xs = xr + j * s, *__restrict gs = gr + j * s;
                T* __restrict os = out + j * s;
#pragma omp simd
                for (int64_t q = k0; q < k1; ++q) os[q] = aj * gs[q] + bj * (xs[q] - mu) + kj;
            }
        }
    });
}

// This build's table: the Kernels members, in declaration order, so a signature that drifts from
// batchnorm_isa.h fails to compile.
template <typename T>
constexpr Kernels<T> kernels() {
    return {&moments<T>, &grad_moments<T>, &affine<T>, &grad_input<T>};
}

constexpr Table kTable{kernels<float>(), kernels<double>()};

const Table* table() { return &kTable; }
