// Layer / group normalization forward and fused backward; formulas and layout in layernorm.h.
// Rows are independent, so the forward pass and dx split rows over threads. dgamma/dbeta reduce over
// rows instead, so they run as a second pass split over blocks of channels: each thread owns its
// channels' double accumulators (allocated before the region) and no reduction across threads is needed.
#include "kernels/layernorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/parallel.h"
#include "kernels/runtime.h"

namespace tl {

namespace {

// Below this many values a single thread finishes before a team would start.
bool worth_threading(int64_t values, int64_t items) { return values > kNormParallelMin && items > 1; }

// (mean, 1 / sqrt(var + eps)) of row[0, d). Sums of (x - shift) with shift = row[0] keep the one-pass
// variance accurate when |mean| >> std (the plain sum of squares would cancel); double accumulation keeps
// float rows exact enough for any realistic length.
template <typename T>
void row_moments(const T* row, int64_t d, double eps, T& mean, T& rstd) {
    if (d == 0) {
        mean = T(0);
        rstd = static_cast<T>(1.0 / std::sqrt(eps));
        return;
    }
    const double shift = static_cast<double>(row[0]);
    double sum = 0.0, sumsq = 0.0;
#pragma omp simd reduction(+ : sum, sumsq)
    for (int64_t k = 0; k < d; ++k) {
        const double v = static_cast<double>(row[k]) - shift;
        sum += v;
        sumsq += v * v;
    }
    const double m = sum / static_cast<double>(d);
    const double var = std::max(sumsq / static_cast<double>(d) - m * m, 0.0);
    mean = static_cast<T>(shift + m);
    rstd = static_cast<T>(1.0 / std::sqrt(var + eps));
}

// Channels per block for the parameter-gradient pass: at least 64 contiguous values per row segment
// when S is small, and at least one block per thread.
int64_t channel_block(int64_t c, int64_t s) {
    const int64_t threads = std::max(1, get_num_threads());
    const int64_t want = std::max<int64_t>(1, (64 + s - 1) / std::max<int64_t>(s, 1));
    const int64_t per_thread = std::max<int64_t>(1, (c + threads - 1) / threads);
    return std::min(want, per_thread);
}

}  // namespace

template <typename T>
void layernorm_forward(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd, int64_t n,
                       int64_t c, int64_t s, int64_t groups, double eps) {
    const int64_t cg = c / groups, d = cg * s, rows = n * groups;
#pragma omp parallel for schedule(static) if (worth_threading(rows * d, rows))
    for (int64_t r = 0; r < rows; ++r) {
        const T* xr = x + r * d;
        T* yr = y + r * d;
        const int64_t c0 = (r % groups) * cg;
        row_moments(xr, d, eps, mean[r], rstd[r]);
        const T m = mean[r], rs = rstd[r];
        if (s == 1) {
#pragma omp simd
            for (int64_t j = 0; j < cg; ++j) {
                T v = (xr[j] - m) * rs;
                if (gamma) v *= gamma[c0 + j];
                if (beta) v += beta[c0 + j];
                yr[j] = v;
            }
            continue;
        }
        for (int64_t j = 0; j < cg; ++j) {
            // y = x * a + b with a = rstd * gamma_c, b = beta_c - mean * a: one multiply-add per value.
            const T a = rs * (gamma ? gamma[c0 + j] : T(1));
            const T b = (beta ? beta[c0 + j] : T(0)) - m * a;
            const T* xs = xr + j * s;
            T* ys = yr + j * s;
#pragma omp simd
            for (int64_t k = 0; k < s; ++k) ys[k] = xs[k] * a + b;
        }
    }
}

template <typename T>
void layernorm_backward(const T* x, const T* dy, const T* mean, const T* rstd, const T* gamma, T* dx,
                        T* dgamma, T* dbeta, int64_t n, int64_t c, int64_t s, int64_t groups) {
    const int64_t cg = c / groups, d = cg * s, rows = n * groups;
    const double inv_d = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
#pragma omp parallel for schedule(static) if (worth_threading(rows * d, rows))
    for (int64_t r = 0; r < rows; ++r) {
        const T *xr = x + r * d, *dyr = dy + r * d;
        T* dxr = dx + r * d;
        const int64_t c0 = (r % groups) * cg;
        const T m = mean[r], rs = rstd[r];
        // Row sums of h = dy * gamma and h * xhat; then dx in a second sweep over the (cached) row.
        double sum_h = 0.0, sum_hx = 0.0;
        for (int64_t j = 0; j < cg; ++j) {
            const T gj = gamma ? gamma[c0 + j] : T(1);
            const T *xs = xr + j * s, *dys = dyr + j * s;
#pragma omp simd reduction(+ : sum_h, sum_hx)
            for (int64_t k = 0; k < s; ++k) {
                const double h = static_cast<double>(dys[k] * gj);
                sum_h += h;
                sum_hx += h * static_cast<double>((xs[k] - m) * rs);
            }
        }
        const T a = static_cast<T>(sum_h * inv_d), b = static_cast<T>(sum_hx * inv_d);
        for (int64_t j = 0; j < cg; ++j) {
            const T gj = gamma ? gamma[c0 + j] : T(1);
            const T *xs = xr + j * s, *dys = dyr + j * s;
            T* dxs = dxr + j * s;
#pragma omp simd
            for (int64_t k = 0; k < s; ++k) dxs[k] = rs * (dys[k] * gj - a - (xs[k] - m) * rs * b);
        }
    }
    if (!dgamma || !dbeta) return;
    const int64_t block = channel_block(c, s), blocks = (c + block - 1) / block;
    std::vector<double> acc_g(static_cast<size_t>(c), 0.0), acc_b(static_cast<size_t>(c), 0.0);
#pragma omp parallel for schedule(static) if (worth_threading(n * c * s, blocks))
    for (int64_t bi = 0; bi < blocks; ++bi) {
        const int64_t b0 = bi * block, b1 = std::min(c, b0 + block);
        for (int64_t i = 0; i < n; ++i) {
            // The block's channels, one group (one mean and rstd) at a time.
            for (int64_t lo = b0; lo < b1;) {
                const int64_t g = lo / cg, hi = std::min(b1, (g + 1) * cg);
                const T m = mean[i * groups + g], rs = rstd[i * groups + g];
                if (s == 1) {
                    const T *xs = x + i * c, *dys = dy + i * c;
#pragma omp simd
                    for (int64_t j = lo; j < hi; ++j) {
                        acc_g[j] += static_cast<double>(dys[j] * ((xs[j] - m) * rs));
                        acc_b[j] += static_cast<double>(dys[j]);
                    }
                } else {
                    for (int64_t j = lo; j < hi; ++j) {
                        const T *xs = x + (i * c + j) * s, *dys = dy + (i * c + j) * s;
                        double sg = 0.0, sb = 0.0;
#pragma omp simd reduction(+ : sg, sb)
                        for (int64_t k = 0; k < s; ++k) {
                            sg += static_cast<double>(dys[k] * ((xs[k] - m) * rs));
                            sb += static_cast<double>(dys[k]);
                        }
                        acc_g[j] += sg;
                        acc_b[j] += sb;
                    }
                }
                lo = hi;
            }
        }
        for (int64_t j = b0; j < b1; ++j) {
            dgamma[j] = static_cast<T>(acc_g[j]);
            dbeta[j] = static_cast<T>(acc_b[j]);
        }
    }
}

template void layernorm_forward<float>(const float*, const float*, const float*, float*, float*, float*,
                                       int64_t, int64_t, int64_t, int64_t, double);
template void layernorm_forward<double>(const double*, const double*, const double*, double*, double*,
                                        double*, int64_t, int64_t, int64_t, int64_t, double);
template void layernorm_backward<float>(const float*, const float*, const float*, const float*, const float*,
                                        float*, float*, float*, int64_t, int64_t, int64_t, int64_t);
template void layernorm_backward<double>(const double*, const double*, const double*, const double*,
                                         const double*, double*, double*, double*, int64_t, int64_t, int64_t,
                                         int64_t);

}  // namespace tl
