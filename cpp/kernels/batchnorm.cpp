// Batch normalization forward (training and eval) and fused backward; formulas in batchnorm.h.
//
// Every pass streams x (and dy) in memory order. The M = N*S values of each channel are split into G
// groups of consecutive (sample, position) pairs, the same range for every channel, so a group is one
// contiguous stretch of memory (cut mid-row at its ends). Reductions (the statistics, sum dy and
// sum dy*(x - mean)) give one partial sum per group and channel, added afterwards in group order: G
// depends on the shape only, so results do not depend on the thread count, and both threads are busy
// whatever C is (C = 1, or (N, C) input with C = 2). The elementwise pass (y, or dx) runs over the same
// groups. Per-channel blocks that revisit their data from cache lose on power-of-two shapes: the rows of
// one channel lie a power-of-two stride apart and evict each other from the cache sets.
// Channel sums over a row segment use 16 independent lanes in T, flushed into double every 1024 values.
#include "kernels/batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/parallel.h"

namespace tl {

namespace {

// Values per flush in the lane sums below: lanes accumulate in T (float for float input) for at most
// kChunk / kLanes values each before the partial sums are added in double.
constexpr int64_t kChunk = 1024;
constexpr int kLanes = 16;
// Groups: at most kMaxGroups (enough to balance any thread count up to ~16), at least kGroupValues values
// of x each, and at least kGroupPerChannel values per channel (so the G x C partial sums stay a small
// fraction of x).
constexpr int64_t kMaxGroups = 64;
constexpr int64_t kGroupValues = 16384;
constexpr int64_t kGroupPerChannel = 16;
// Partial sums of one group start on their own cache line (8 doubles), so groups on different threads
// never write to one line.
constexpr int64_t kLineDoubles = 8;

// The value split of one call: count groups over the m = N*S values of each channel.
struct Split {
    int64_t n, c, s, m, count, stride;  // stride: doubles per group in the partial-sum buffers
    // Values [begin(g), begin(g + 1)) of each channel belong to group g.
    int64_t begin(int64_t g) const { return (m / count) * g + std::min(g, m % count); }
};

Split split_values(int64_t n, int64_t c, int64_t s) {
    const int64_t m = n * s, total = mul_sat(m, c);
    int64_t count = 1;
    if (total > kNormParallelMin)
        count = std::max<int64_t>(1, std::min({kMaxGroups, total / kGroupValues, m / kGroupPerChannel}));
    return {n, c, s, m, count, ceil_div(c, kLineDoubles) * kLineDoubles};
}

// f(i, k0, k1) for each sample i that group g touches, with its position range [k0, k1).
template <typename F>
void for_each_row(const Split& sp, int64_t g, F f) {
    const int64_t m0 = sp.begin(g), m1 = sp.begin(g + 1);
    for (int64_t i = m0 / sp.s; i * sp.s < m1; ++i)
        f(i, std::max<int64_t>(m0 - i * sp.s, 0), std::min(m1 - i * sp.s, sp.s));
}

// sum += sum_k (x_k - shift), sumsq += sum_k (x_k - shift)^2 over x[0, len). kLanes independent
// accumulators let the adds pipeline and vectorize (a single running sum is latency-bound).
template <typename T>
void add_shifted_moments(const T* x, int64_t len, T shift, double& sum, double& sumsq) {
    for (int64_t start = 0; start < len; start += kChunk) {
        const int64_t end = std::min(len, start + kChunk);
        T a[kLanes] = {}, b[kLanes] = {};
        int64_t k = start;
        for (; k + kLanes <= end; k += kLanes)
            for (int u = 0; u < kLanes; ++u) {
                const T d = x[k + u] - shift;
                a[u] += d;
                b[u] += d * d;
            }
        double sa = 0.0, sb = 0.0;
        for (int u = 0; u < kLanes; ++u) {
            sa += a[u];
            sb += b[u];
        }
        for (; k < end; ++k) {
            const double d = static_cast<double>(x[k]) - static_cast<double>(shift);
            sa += d;
            sb += d * d;
        }
        sum += sa;
        sumsq += sb;
    }
}

// sum_g += sum_k g_k, sum_gx += sum_k g_k (x_k - mean) over [0, len), with the same lane scheme.
template <typename T>
void add_grad_moments(const T* x, const T* g, int64_t len, T mean, double& sum_g, double& sum_gx) {
    for (int64_t start = 0; start < len; start += kChunk) {
        const int64_t end = std::min(len, start + kChunk);
        T a[kLanes] = {}, b[kLanes] = {};
        int64_t k = start;
        for (; k + kLanes <= end; k += kLanes)
            for (int u = 0; u < kLanes; ++u) {
                a[u] += g[k + u];
                b[u] += g[k + u] * (x[k + u] - mean);
            }
        double sa = 0.0, sb = 0.0;
        for (int u = 0; u < kLanes; ++u) {
            sa += a[u];
            sb += b[u];
        }
        for (; k < end; ++k) {
            sa += g[k];
            sb += static_cast<double>(g[k]) * (static_cast<double>(x[k]) - static_cast<double>(mean));
        }
        sum_g += sa;
        sum_gx += sb;
    }
}

// Group g's sums of (x - shift_c) and (x - shift_c)^2 per channel into sum[0, C), sumsq[0, C).
template <typename T>
void group_moments(const T* x, const Split& sp, int64_t g, const double* shift, double* sum, double* sumsq) {
    const int64_t c = sp.c, s = sp.s;
    for_each_row(sp, g, [&](int64_t i, int64_t k0, int64_t k1) {
        const T* row = x + i * c * s;
        if (s == 1) {  // (N, C) input: vectorize along the contiguous channel axis
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

// Group g's sums of dy and dy * (x - mean_c) per channel into sum_dy[0, C), sum_dy_xc[0, C).
template <typename T>
void group_grad_moments(const T* x, const T* dy, const T* mean, const Split& sp, int64_t g, double* sum_dy,
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

// Adds the partial sums of every group (rows of `stride` doubles) into their first row, in group order.
void reduce_groups(const Split& sp, double* partial, int64_t j) {
    for (int64_t g = 1; g < sp.count; ++g) partial[j] += partial[g * sp.stride + j];
}

// The mean and biased variance of channel j by two passes in double. The fallback where the one-pass
// shifted sums are not finite (an inf or NaN input, or squares beyond T's range): there the shift and the
// sum of squares lose the non-finite values' meaning, while two passes propagate them as PyTorch does
// (an inf makes the mean inf and the variance NaN; a NaN makes both NaN).
template <typename T>
void exact_moments(const T* x, int64_t n, int64_t c, int64_t s, int64_t j, double& mean, double& var) {
    const double m = static_cast<double>(n) * static_cast<double>(s);
    double sum = 0.0, sumsq = 0.0;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t k = 0; k < s; ++k) sum += static_cast<double>(x[(i * c + j) * s + k]);
    mean = sum / m;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t k = 0; k < s; ++k) {
            const double d = static_cast<double>(x[(i * c + j) * s + k]) - mean;
            sumsq += d * d;
        }
    var = sumsq / m;
}

// y = x * scale_c + offset_c over group g.
template <typename T>
void group_affine(const T* x, T* y, const T* scale, const T* offset, const Split& sp, int64_t g) {
    const int64_t c = sp.c, s = sp.s;
    for_each_row(sp, g, [&](int64_t i, int64_t k0, int64_t k1) {
        const int64_t base = i * c * s;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) y[base + j] = x[base + j] * scale[j] + offset[j];
        } else {
            for (int64_t j = 0; j < c; ++j) {
                const T a = scale[j], b = offset[j];
                const T* xs = x + base + j * s;
                T* ys = y + base + j * s;
#pragma omp simd
                for (int64_t k = k0; k < k1; ++k) ys[k] = xs[k] * a + b;
            }
        }
    });
}

// dx = a_c * dy + b_c * (x - mean_c) + k_c over group g.
template <typename T>
void group_grad_input(const T* x, const T* dy, const T* mean, const T* a, const T* b, const T* k, T* dx,
                      const Split& sp, int64_t g) {
    const int64_t c = sp.c, s = sp.s;
    for_each_row(sp, g, [&](int64_t i, int64_t k0, int64_t k1) {
        const int64_t base = i * c * s;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = 0; j < c; ++j)
                dx[base + j] = a[j] * dy[base + j] + b[j] * (x[base + j] - mean[j]) + k[j];
        } else {
            for (int64_t j = 0; j < c; ++j) {
                const T aj = a[j], bj = b[j], kj = k[j], mu = mean[j];
                const T *xs = x + base + j * s, *gs = dy + base + j * s;
                T* out = dx + base + j * s;
#pragma omp simd
                for (int64_t q = k0; q < k1; ++q) out[q] = aj * gs[q] + bj * (xs[q] - mu) + kj;
            }
        }
    });
}

}  // namespace

template <typename T>
void batchnorm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, int64_t n,
                             int64_t c, int64_t s, double eps) {
    const Split sp = split_values(n, c, s);
    const double m = static_cast<double>(sp.m);
    // Every buffer is allocated before the parallel region (an exception may not leave it).
    std::vector<T> scale(c), offset(c);
    std::vector<double> shift(c), sum(sp.count * sp.stride, 0.0), sumsq(sp.count * sp.stride, 0.0);
    // The shift (the channel's first value) keeps the one-pass variance accurate when |mean| >> std.
    for (int64_t j = 0; j < c; ++j) shift[j] = sp.m > 0 ? static_cast<double>(x[j * s]) : 0.0;
#pragma omp parallel if (sp.count > 1)
    {
#pragma omp for schedule(static)
        for (int64_t g = 0; g < sp.count; ++g)
            group_moments(x, sp, g, shift.data(), sum.data() + g * sp.stride, sumsq.data() + g * sp.stride);
#pragma omp for schedule(static)
        for (int64_t j = 0; j < c; ++j) {
            reduce_groups(sp, sum.data(), j);
            reduce_groups(sp, sumsq.data(), j);
            const double dmean = sum[j] / m;
            // Rounding can make the one-pass variance slightly negative; a NaN must stay NaN.
            const double one_pass = sumsq[j] / m - dmean * dmean;
            double v = one_pass < 0.0 ? 0.0 : one_pass;
            double mu = shift[j] + dmean;
            if (!std::isfinite(sum[j]) || !std::isfinite(sumsq[j])) exact_moments(x, n, c, s, j, mu, v);
            const double gj = gamma ? static_cast<double>(gamma[j]) : 1.0;
            const double invstd = 1.0 / std::sqrt(v + eps);
            mean[j] = static_cast<T>(mu);
            var[j] = static_cast<T>(v);
            scale[j] = static_cast<T>(gj * invstd);
            offset[j] = static_cast<T>((beta ? static_cast<double>(beta[j]) : 0.0) - mu * gj * invstd);
        }
#pragma omp for schedule(static)
        for (int64_t g = 0; g < sp.count; ++g) group_affine(x, y, scale.data(), offset.data(), sp, g);
    }
}

template <typename T>
void batchnorm_forward_eval(const T* x, const T* gamma, const T* beta, const T* mean, const T* var, T* y,
                            int64_t n, int64_t c, int64_t s, double eps) {
    if (n == 0 || s == 0) return;  // no values (n may be huge)
    std::vector<T> scale(c), offset(c);
    for (int64_t j = 0; j < c; ++j) {
        const double gj = gamma ? static_cast<double>(gamma[j]) : 1.0;
        const double a = gj / std::sqrt(static_cast<double>(var[j]) + eps);
        scale[j] = static_cast<T>(a);
        offset[j] = static_cast<T>((beta ? static_cast<double>(beta[j]) : 0.0) - static_cast<double>(mean[j]) * a);
    }
    const Split sp = split_values(n, c, s);
#pragma omp parallel for schedule(static) if (sp.count > 1)
    for (int64_t g = 0; g < sp.count; ++g) group_affine(x, y, scale.data(), offset.data(), sp, g);
}

template <typename T>
void batchnorm_backward(const T* x, const T* dy, const T* mean, const T* var, const T* gamma, T* dx,
                        T* dgamma, T* dbeta, int64_t n, int64_t c, int64_t s, double eps, bool batch_stats) {
    if (n == 0 || s == 0) {  // no values: zero gradients (dx is empty)
        std::fill(dgamma, dgamma + c, T(0));
        std::fill(dbeta, dbeta + c, T(0));
        return;
    }
    const Split sp = split_values(n, c, s);
    const double m = static_cast<double>(sp.m);
    // Every buffer is allocated before the parallel region (an exception may not leave it).
    std::vector<T> coef_dy(c), coef_x(c), coef_const(c);
    std::vector<double> sum_dy(sp.count * sp.stride, 0.0), sum_dy_xc(sp.count * sp.stride, 0.0);
#pragma omp parallel if (sp.count > 1)
    {
        // Pass 1: sum dy and sum dy * (x - mean) per group and channel.
#pragma omp for schedule(static)
        for (int64_t g = 0; g < sp.count; ++g)
            group_grad_moments(x, dy, mean, sp, g, sum_dy.data() + g * sp.stride, sum_dy_xc.data() + g * sp.stride);
        // dx = k_dy * dy + k_x * (x - mean) + k_const = gamma*invstd*(dy - dbeta/M - xhat*dgamma/M).
#pragma omp for schedule(static)
        for (int64_t j = 0; j < c; ++j) {
            reduce_groups(sp, sum_dy.data(), j);
            reduce_groups(sp, sum_dy_xc.data(), j);
            const double invstd = 1.0 / std::sqrt(static_cast<double>(var[j]) + eps);
            const double gj = gamma ? static_cast<double>(gamma[j]) : 1.0;
            const double db = sum_dy[j], dg = sum_dy_xc[j] * invstd;
            dbeta[j] = static_cast<T>(db);
            dgamma[j] = static_cast<T>(dg);
            const double k_dy = gj * invstd;
            coef_dy[j] = static_cast<T>(k_dy);
            coef_x[j] = batch_stats ? static_cast<T>(-k_dy * dg * invstd / m) : T(0);
            coef_const[j] = batch_stats ? static_cast<T>(-k_dy * db / m) : T(0);
        }
        // Pass 2: the fused elementwise gradient.
#pragma omp for schedule(static)
        for (int64_t g = 0; g < sp.count; ++g)
            group_grad_input(x, dy, mean, coef_dy.data(), coef_x.data(), coef_const.data(), dx, sp, g);
    }
}
template void batchnorm_forward_train<float>(const float*, const float*, const float*, float*, float*, float*,
                                             int64_t, int64_t, int64_t, double);
template void batchnorm_forward_train<double>(const double*, const double*, const double*, double*, double*,
                                              double*, int64_t, int64_t, int64_t, double);
template void batchnorm_forward_eval<float>(const float*, const float*, const float*, const float*,
                                            const float*, float*, int64_t, int64_t, int64_t, double);
template void batchnorm_forward_eval<double>(const double*, const double*, const double*, const double*,
                                             const double*, double*, int64_t, int64_t, int64_t, double);
template void batchnorm_backward<float>(const float*, const float*, const float*, const float*, const float*,
                                        float*, float*, float*, int64_t, int64_t, int64_t, double, bool);
template void batchnorm_backward<double>(const double*, const double*, const double*, const double*,
                                         const double*, double*, double*, double*, int64_t, int64_t, int64_t,
                                         double, bool);

}  // namespace tl
