// Batch normalization forward (training and eval) and fused backward; formulas in batchnorm.h.
// Channel sums use 16 independent lanes in T, flushed into double every 1024 values.
// Work is split over channel blocks (OpenMP): each block's statistics pass and normalize pass run
// back to back, so a block's data is still in cache for the second pass. For S = 1 ((N, C) input)
// a block spans many channels and the inner loop runs along the contiguous channel axis.
#include "kernels/batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/parallel.h"
#include "kernels/runtime.h"

namespace tl {

namespace {

// Channels per block: enough contiguous values per row when S is small, at least one block per thread.
int64_t channel_block(int64_t c, int64_t s) {
    const int64_t threads = std::max(1, get_num_threads());
    const int64_t want = std::max<int64_t>(1, (64 + s - 1) / s);
    const int64_t per_thread = std::max<int64_t>(1, (c + threads - 1) / threads);
    return std::min(want, per_thread);
}

bool worth_threading(int64_t n, int64_t c, int64_t s) { return n * c * s > kNormParallelMin; }

// Values per flush in the lane sums below: lanes accumulate in T (float for float input) for at most
// kChunk / kLanes values each before the partial sums are added in double.
constexpr int64_t kChunk = 1024;
constexpr int kLanes = 16;

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

// Per-channel sums of (x - shift) and (x - shift)^2 over the M values of channels [c0, c1); the shift
// (the channel's first value) keeps the one-pass variance accurate when |mean| >> std.
template <typename T>
void shifted_sums(const T* x, int64_t n, int64_t c, int64_t s, int64_t c0, int64_t c1, double* shift,
                  double* sum, double* sumsq) {
    for (int64_t j = c0; j < c1; ++j) {
        shift[j - c0] = n > 0 && s > 0 ? static_cast<double>(x[j * s]) : 0.0;
        sum[j - c0] = sumsq[j - c0] = 0.0;
    }
    for (int64_t i = 0; i < n; ++i) {
        const T* row = x + i * c * s;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = c0; j < c1; ++j) {
                const double d = static_cast<double>(row[j]) - shift[j - c0];
                sum[j - c0] += d;
                sumsq[j - c0] += d * d;
            }
        } else {
            for (int64_t j = c0; j < c1; ++j)
                add_shifted_moments(row + j * s, s, static_cast<T>(shift[j - c0]), sum[j - c0], sumsq[j - c0]);
        }
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

// y = x * scale_c + shift_c for channels [c0, c1).
template <typename T>
void channel_affine(const T* x, T* y, const T* scale, const T* offset, int64_t n, int64_t c, int64_t s,
                    int64_t c0, int64_t c1) {
    for (int64_t i = 0; i < n; ++i) {
        const int64_t base = i * c * s;
        if (s == 1) {
#pragma omp simd
            for (int64_t j = c0; j < c1; ++j) y[base + j] = x[base + j] * scale[j] + offset[j];
        } else {
            for (int64_t j = c0; j < c1; ++j) {
                const T a = scale[j], b = offset[j];
                const T* xs = x + base + j * s;
                T* ys = y + base + j * s;
#pragma omp simd
                for (int64_t k = 0; k < s; ++k) ys[k] = xs[k] * a + b;
            }
        }
    }
}

}  // namespace

template <typename T>
void batchnorm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, int64_t n,
                             int64_t c, int64_t s, double eps) {
    const int64_t block = channel_block(c, s);
    const int64_t blocks = (c + block - 1) / block;
    const double m = static_cast<double>(n * s);
    // Every buffer is allocated before the parallel region (an exception may not leave it).
    std::vector<T> scale(c), offset(c);
    std::vector<double> shift(c), sum(c), sumsq(c);
#pragma omp parallel if (worth_threading(n, c, s))
    {
#pragma omp for schedule(static)
        for (int64_t b = 0; b < blocks; ++b) {
            const int64_t c0 = b * block, c1 = std::min(c, c0 + block);
            shifted_sums(x, n, c, s, c0, c1, shift.data() + c0, sum.data() + c0, sumsq.data() + c0);
            for (int64_t j = c0; j < c1; ++j) {
                const double dmean = sum[j] / m;
                // Rounding can make the one-pass variance slightly negative; a NaN must stay NaN.
                const double one_pass = sumsq[j] / m - dmean * dmean;
                double v = one_pass < 0.0 ? 0.0 : one_pass;
                double mu = shift[j] + dmean;
                if (!std::isfinite(sum[j]) || !std::isfinite(sumsq[j])) exact_moments(x, n, c, s, j, mu, v);
                const double g = gamma ? static_cast<double>(gamma[j]) : 1.0;
                const double invstd = 1.0 / std::sqrt(v + eps);
                mean[j] = static_cast<T>(mu);
                var[j] = static_cast<T>(v);
                scale[j] = static_cast<T>(g * invstd);
                offset[j] = static_cast<T>((beta ? static_cast<double>(beta[j]) : 0.0) - mu * g * invstd);
            }
            channel_affine(x, y, scale.data(), offset.data(), n, c, s, c0, c1);
        }
    }
}

template <typename T>
void batchnorm_forward_eval(const T* x, const T* gamma, const T* beta, const T* mean, const T* var, T* y,
                            int64_t n, int64_t c, int64_t s, double eps) {
    if (n == 0 || s == 0) return;  // no values (n may be huge)
    std::vector<T> scale(c), offset(c);
    for (int64_t j = 0; j < c; ++j) {
        const double g = gamma ? static_cast<double>(gamma[j]) : 1.0;
        const double a = g / std::sqrt(static_cast<double>(var[j]) + eps);
        scale[j] = static_cast<T>(a);
        offset[j] = static_cast<T>((beta ? static_cast<double>(beta[j]) : 0.0) - static_cast<double>(mean[j]) * a);
    }
    const int64_t block = channel_block(c, s);
    const int64_t blocks = (c + block - 1) / block;
#pragma omp parallel for schedule(static) if (worth_threading(n, c, s))
    for (int64_t b = 0; b < blocks; ++b)
        channel_affine(x, y, scale.data(), offset.data(), n, c, s, b * block, std::min(c, b * block + block));
}

template <typename T>
void batchnorm_backward(const T* x, const T* dy, const T* mean, const T* var, const T* gamma, T* dx,
                        T* dgamma, T* dbeta, int64_t n, int64_t c, int64_t s, double eps, bool batch_stats) {
    const int64_t block = channel_block(c, s);
    const int64_t blocks = (c + block - 1) / block;
    const double m = static_cast<double>(n * s);
    if (n == 0 || s == 0) {  // no values: zero gradients (dx is empty)
        std::fill(dgamma, dgamma + c, T(0));
        std::fill(dbeta, dbeta + c, T(0));
        return;
    }
    // Every buffer is allocated before the parallel region (an exception may not leave it).
    std::vector<T> coef_dy(c), coef_x(c), coef_const(c);
    std::vector<double> sums_dy(c, 0.0), sums_dy_xc(c, 0.0);
#pragma omp parallel for schedule(static) if (worth_threading(n, c, s))
    for (int64_t b = 0; b < blocks; ++b) {
        const int64_t c0 = b * block, c1 = std::min(c, c0 + block);
        // Pass 1: sum dy and sum dy * (x - mean) per channel.
        double *sum_dy = sums_dy.data() + c0, *sum_dy_xc = sums_dy_xc.data() + c0;
        for (int64_t i = 0; i < n; ++i) {
            const int64_t base = i * c * s;
            if (s == 1) {
                for (int64_t j = c0; j < c1; ++j) {
                    const double g = dy[base + j];
                    sum_dy[j - c0] += g;
                    sum_dy_xc[j - c0] += g * (static_cast<double>(x[base + j]) - static_cast<double>(mean[j]));
                }
            } else {
                for (int64_t j = c0; j < c1; ++j)
                    add_grad_moments(x + base + j * s, dy + base + j * s, s, mean[j], sum_dy[j - c0],
                                     sum_dy_xc[j - c0]);
            }
        }
        // dx = k_dy * dy + k_x * (x - mean) + k_const = gamma*invstd*(dy - dbeta/M - xhat*dgamma/M).
        for (int64_t j = c0; j < c1; ++j) {
            const double invstd = 1.0 / std::sqrt(static_cast<double>(var[j]) + eps);
            const double g = gamma ? static_cast<double>(gamma[j]) : 1.0;
            const double db = sum_dy[j - c0], dg = sum_dy_xc[j - c0] * invstd;
            dbeta[j] = static_cast<T>(db);
            dgamma[j] = static_cast<T>(dg);
            const double k_dy = g * invstd;
            if (batch_stats) {
                const double k_x = -k_dy * dg * invstd / m;
                coef_dy[j] = static_cast<T>(k_dy);
                coef_x[j] = static_cast<T>(k_x);
                coef_const[j] = static_cast<T>(-k_dy * db / m);
            } else {
                coef_dy[j] = static_cast<T>(k_dy);
                coef_x[j] = T(0);
                coef_const[j] = T(0);
            }
        }
        // Pass 2: the fused elementwise gradient.
        for (int64_t i = 0; i < n; ++i) {
            const int64_t base = i * c * s;
            for (int64_t j = c0; j < c1; ++j) {
                const T a = coef_dy[j], bx = coef_x[j], k = coef_const[j], mu = mean[j];
                const T* xs = x + base + j * s;
                const T* gs = dy + base + j * s;
                T* out = dx + base + j * s;
#pragma omp simd
                for (int64_t q = 0; q < s; ++q) out[q] = a * gs[q] + bx * (xs[q] - mu) + k;
            }
        }
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
