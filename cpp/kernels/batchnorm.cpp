// Batch normalization forward (training and eval) and fused backward; formulas in batchnorm.h. The loops
// over x are compiled once per instruction set (batchnorm_isa.h, batchnorm_loops.h); this file splits the
// work, reduces the partial sums and computes the per-channel coefficients.
//
// Every pass streams x (and dy) in memory order. The M = N*S values of each channel are split into G
// groups of consecutive (sample, position) pairs, the same range for every channel, so a group is one
// contiguous stretch of memory. Reductions (the statistics; sum dy and sum dy*(x - mean)) give one partial
// sum per group and channel, added afterwards in group order: G depends on the shape only, so results do
// not depend on the thread count, and every thread is busy whatever C is (C = 1, or (N, C) input with
// C = 2). The elementwise pass (y, or dx) runs over the same groups. Per-channel blocks that revisit their
// data from cache lose on power-of-two shapes: the rows of one channel lie a power-of-two stride apart and
// evict each other from the cache sets (128x64x512: backward 2x slower than streaming).
#include "kernels/batchnorm.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/batchnorm_isa.h"
#include "kernels/cpu_features.h"
#include "kernels/parallel.h"

namespace tl {

namespace {

using batchnorm_impl::Split;

// Groups: at most kMaxGroups (enough to balance up to ~16 threads), at least kGroupValues values of x
// each (small enough that a call just above the threshold still gets ~8 groups, so an odd count leaves
// little imbalance), and at least kGroupPerChannel values per channel (so the G x C partial sums stay a
// small fraction of x: for (N, C) input, 16 groups of 16 rows made the partial sums a quarter of x, and
// the 256x1024 forward slower than with 4 groups).
constexpr int64_t kMaxGroups = 64;
constexpr int64_t kGroupValues = 4096;
constexpr int64_t kGroupPerChannel = 64;
// Each group's partial sums start on their own cache line (8 doubles), so groups on different threads
// never write to one line.
constexpr int64_t kLineDoubles = 8;

Split split_values(int64_t n, int64_t c, int64_t s) {
    const int64_t m = n * s, total = mul_sat(m, c);
    int64_t count = 1;
    if (total > kNormParallelMin)
        count = std::max<int64_t>(1, std::min({kMaxGroups, total / kGroupValues, m / kGroupPerChannel}));
    return {n, c, s, m, count};
}

// Whether the groups are shared out over threads (below the threshold one thread does them all, in the
// same order, with the same result).
bool threaded(const Split& sp) { return sp.count > 1 && mul_sat(sp.m, sp.c) >= kBatchNormParallelMin; }

int64_t partial_stride(int64_t c) { return ceil_div(c, kLineDoubles) * kLineDoubles; }

// Indexed by IsaLevel: generic, avx2, avx512.
IsaDispatch<batchnorm_impl::Table>& builds() {
    static IsaDispatch<batchnorm_impl::Table> tables(
        "set_batchnorm_isa",
        {batchnorm_impl::generic::table(), batchnorm_impl::avx2::table(), batchnorm_impl::avx512::table()});
    return tables;
}

template <typename T>
const batchnorm_impl::Kernels<T>& kernels() {
    const batchnorm_impl::Table& table = builds().table();
    if constexpr (std::is_same_v<T, float>) return table.f32;
    else return table.f64;
}

// Adds the partial sums of every group (rows of `stride` doubles) into the first row, in group order, for
// the channels of block b (kReduceBlock channels; row by row, so the adds vectorize).
constexpr int64_t kReduceBlock = 64;
void reduce_groups(const Split& sp, int64_t stride, double* partial, int64_t b) {
    const int64_t j0 = b * kReduceBlock, j1 = std::min(sp.c, j0 + kReduceBlock);
    for (int64_t g = 1; g < sp.count; ++g) {
        const double* row = partial + g * stride;
#pragma omp simd
        for (int64_t j = j0; j < j1; ++j) partial[j] += row[j];
    }
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

}  // namespace

template <typename T>
void batchnorm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, int64_t n,
                             int64_t c, int64_t s, double eps) {
    const auto& k = kernels<T>();
    const Split sp = split_values(n, c, s);
    const int64_t stride = partial_stride(c);
    const double m = static_cast<double>(sp.m);
    // Every buffer is allocated before the parallel region (an exception may not leave it).
    std::vector<T> scale(c), offset(c);
    std::vector<double> shift(c), sum(sp.count * stride, 0.0), sumsq(sp.count * stride, 0.0);
    // The shift (the channel's first value) keeps the one-pass variance accurate when |mean| >> std.
    for (int64_t j = 0; j < c; ++j) shift[j] = sp.m > 0 ? static_cast<double>(x[j * s]) : 0.0;
#pragma omp parallel if (threaded(sp))
    {
#pragma omp for schedule(static)
        for (int64_t g = 0; g < sp.count; ++g)
            k.moments(x, sp, g, shift.data(), sum.data() + g * stride, sumsq.data() + g * stride);
        // Per block of channels: the group sums, then each channel's statistics and affine coefficients
        // (one loop, so one barrier fewer: on a busy machine each barrier may wait for a descheduled thread).
#pragma omp for schedule(static)
        for (int64_t b = 0; b < ceil_div(c, kReduceBlock); ++b) {
            reduce_groups(sp, stride, sum.data(), b);
            reduce_groups(sp, stride, sumsq.data(), b);
            for (int64_t j = b * kReduceBlock; j < std::min(c, (b + 1) * kReduceBlock); ++j) {
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
        }
#pragma omp for schedule(static)
        for (int64_t g = 0; g < sp.count; ++g) k.affine(x, y, scale.data(), offset.data(), sp, g);
    }
}

template <typename T>
void batchnorm_forward_eval(const T* x, const T* gamma, const T* beta, const T* mean, const T* var, T* y,
                            int64_t n, int64_t c, int64_t s, double eps) {
    if (n == 0 || s == 0) return;  // no values (n may be huge)
    const auto& k = kernels<T>();
    std::vector<T> scale(c), offset(c);
    for (int64_t j = 0; j < c; ++j) {
        const double gj = gamma ? static_cast<double>(gamma[j]) : 1.0;
        const double a = gj / std::sqrt(static_cast<double>(var[j]) + eps);
        scale[j] = static_cast<T>(a);
        offset[j] = static_cast<T>((beta ? static_cast<double>(beta[j]) : 0.0) - static_cast<double>(mean[j]) * a);
    }
    const Split sp = split_values(n, c, s);
#pragma omp parallel for schedule(static) if (threaded(sp))
    for (int64_t g = 0; g < sp.count; ++g) k.affine(x, y, scale.data(), offset.data(), sp, g);
}

template <typename T>
void batchnorm_backward(const T* x, const T* dy, const T* mean, const T* var, const T* gamma, T* dx,
                        T* dgamma, T* dbeta, int64_t n, int64_t c, int64_t s, double eps, bool batch_stats) {
    if (n == 0 || s == 0) {  // no values: zero gradients (dx is empty)
        std::fill(dgamma, dgamma + c, T(0));
        std::fill(dbeta, dbeta + c, T(0));
        return;
    }
    const auto& k = kernels<T>();
    const Split sp = split_values(n, c, s);
    const int64_t stride = partial_stride(c);
    const double m = static_cast<double>(sp.m);
    // Every buffer is allocated before the parallel region (an exception may not leave it).
    std::vector<T> coef_dy(c), coef_x(c), coef_const(c);
    std::vector<double> sum_dy(sp.count * stride, 0.0), sum_dy_xc(sp.count * stride, 0.0);
#pragma omp parallel if (threaded(sp))
    {
        // Pass 1: sum dy and sum dy * (x - mean) per group and channel (mean saved by the forward).
#pragma omp for schedule(static)
        for (int64_t g = 0; g < sp.count; ++g)
            k.grad_moments(x, dy, mean, sp, g, sum_dy.data() + g * stride, sum_dy_xc.data() + g * stride);
        // dx = k_dy * dy + k_x * (x - mean) + k_const = gamma*invstd*(dy - dbeta/M - xhat*dgamma/M).
#pragma omp for schedule(static)
        for (int64_t b = 0; b < ceil_div(c, kReduceBlock); ++b) {
            reduce_groups(sp, stride, sum_dy.data(), b);
            reduce_groups(sp, stride, sum_dy_xc.data(), b);
            for (int64_t j = b * kReduceBlock; j < std::min(c, (b + 1) * kReduceBlock); ++j) {
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
        }
        // Pass 2: the fused elementwise gradient.
#pragma omp for schedule(static)
        for (int64_t g = 0; g < sp.count; ++g)
            k.grad_input(x, dy, mean, coef_dy.data(), coef_x.data(), coef_const.data(), dx, sp, g);
    }
}

std::string batchnorm_isa() { return isa_name(builds().active()); }

std::vector<std::string> batchnorm_available_isas() { return builds().available(); }

void set_batchnorm_isa(const std::string& name) { builds().set(name); }

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
