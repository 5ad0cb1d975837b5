// Fused LSTM / GRU gate kernels (formulas in rnn.h). One pass over each batch row; rows are independent.
#include "kernels/rnn.h"

#include <cmath>

#include "kernels/parallel.h"

namespace tl {
namespace {


template <typename T>
inline T sigmoid(T x) {
    // Stable in both tails: never exponentiates a large positive number.
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
}

// Bias entry j, or 0 without bias.
template <typename T>
inline T bias_at(const T* b, int64_t j) {
    return b ? b[j] : T(0);
}

}  // namespace

template <typename T>
void lstm_cell_forward(const T* xw, const T* hw, const T* b_ih, const T* b_hh, const T* c_prev, T* h, T* c,
                       T* gates, int64_t batch, int64_t hidden) {
    const int64_t g4 = 4 * hidden;
#pragma omp parallel for schedule(static) if (batch > 1 && batch * hidden >= kRnnParallelMin)
    for (int64_t b = 0; b < batch; ++b) {
        const T* xr = xw + b * g4;
        const T* hr = hw + b * g4;
        T* gr = gates + b * g4;
        for (int64_t j = 0; j < g4; ++j) {
            const T a = xr[j] + bias_at(b_ih, j) + hr[j] + bias_at(b_hh, j);
            // Blocks i, f, o go through the sigmoid, block g through tanh.
            gr[j] = (j >= 2 * hidden && j < 3 * hidden) ? std::tanh(a) : sigmoid(a);
        }
        const T* cp = c_prev + b * hidden;
        T* cr = c + b * hidden;
        T* hrow = h + b * hidden;
        for (int64_t k = 0; k < hidden; ++k) {
            const T i = gr[k], f = gr[hidden + k], g = gr[2 * hidden + k], o = gr[3 * hidden + k];
            cr[k] = f * cp[k] + i * g;
            hrow[k] = o * std::tanh(cr[k]);
        }
    }
}

template <typename T>
void lstm_cell_backward(const T* gates, const T* c_prev, const T* c, const T* dh, const T* dc, T* dgates,
                        T* dc_prev, int64_t batch, int64_t hidden) {
    const int64_t g4 = 4 * hidden;
#pragma omp parallel for schedule(static) if (batch > 1 && batch * hidden >= kRnnParallelMin)
    for (int64_t b = 0; b < batch; ++b) {
        const T* gr = gates + b * g4;
        T* dg = dgates + b * g4;
        for (int64_t k = 0; k < hidden; ++k) {
            const int64_t r = b * hidden + k;
            const T i = gr[k], f = gr[hidden + k], g = gr[2 * hidden + k], o = gr[3 * hidden + k];
            const T tc = std::tanh(c[r]);
            const T dct = (dc ? dc[r] : T(0)) + dh[r] * o * (T(1) - tc * tc);
            dg[k] = dct * g * i * (T(1) - i);
            dg[hidden + k] = dct * c_prev[r] * f * (T(1) - f);
            dg[2 * hidden + k] = dct * i * (T(1) - g * g);
            dg[3 * hidden + k] = dh[r] * tc * o * (T(1) - o);
            dc_prev[r] = dct * f;
        }
    }
}

template <typename T>
void gru_cell_forward(const T* xw, const T* hw, const T* b_ih, const T* b_hh, const T* h_prev, T* h, T* saved,
                      int64_t batch, int64_t hidden) {
    const int64_t g3 = 3 * hidden;
#pragma omp parallel for schedule(static) if (batch > 1 && batch * hidden >= kRnnParallelMin)
    for (int64_t b = 0; b < batch; ++b) {
        const T* xr = xw + b * g3;
        const T* hr = hw + b * g3;
        T* sr = saved + b * 4 * hidden;
        for (int64_t k = 0; k < hidden; ++k) {
            const int64_t kz = hidden + k, kn = 2 * hidden + k;
            const T r = sigmoid(xr[k] + bias_at(b_ih, k) + hr[k] + bias_at(b_hh, k));
            const T z = sigmoid(xr[kz] + bias_at(b_ih, kz) + hr[kz] + bias_at(b_hh, kz));
            const T hn = hr[kn] + bias_at(b_hh, kn);
            const T n = std::tanh(xr[kn] + bias_at(b_ih, kn) + r * hn);
            const int64_t row = b * hidden + k;
            h[row] = (T(1) - z) * n + z * h_prev[row];
            sr[k] = r;
            sr[hidden + k] = z;
            sr[2 * hidden + k] = n;
            sr[3 * hidden + k] = hn;
        }
    }
}

template <typename T>
void gru_cell_backward(const T* saved, const T* h_prev, const T* dh, T* dxg, T* dhg, T* dh_prev, int64_t batch,
                       int64_t hidden) {
    const int64_t g3 = 3 * hidden;
#pragma omp parallel for schedule(static) if (batch > 1 && batch * hidden >= kRnnParallelMin)
    for (int64_t b = 0; b < batch; ++b) {
        const T* sr = saved + b * 4 * hidden;
        T* dx = dxg + b * g3;
        T* dhr = dhg + b * g3;
        for (int64_t k = 0; k < hidden; ++k) {
            const int64_t row = b * hidden + k;
            const T r = sr[k], z = sr[hidden + k], n = sr[2 * hidden + k], hn = sr[3 * hidden + k];
            const T dn = dh[row] * (T(1) - z) * (T(1) - n * n);
            const T dz = dh[row] * (h_prev[row] - n) * z * (T(1) - z);
            const T dr = dn * hn * r * (T(1) - r);
            dx[k] = dhr[k] = dr;
            dx[hidden + k] = dhr[hidden + k] = dz;
            dx[2 * hidden + k] = dn;
            dhr[2 * hidden + k] = dn * r;
            dh_prev[row] = dh[row] * z;
        }
    }
}

#define TL_RNN_INSTANTIATE(T)                                                                               \
    template void lstm_cell_forward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*, int64_t,  \
                                       int64_t);                                                             \
    template void lstm_cell_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, int64_t,     \
                                        int64_t);                                                            \
    template void gru_cell_forward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, int64_t,       \
                                      int64_t);                                                              \
    template void gru_cell_backward<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t);

TL_RNN_INSTANTIATE(float)
TL_RNN_INSTANTIATE(double)

}  // namespace tl
