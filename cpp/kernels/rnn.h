// Fused LSTM / GRU cell gate math: the elementwise part of one time step, after its two GEMMs
// xw = x W_ih^T and hw = h_prev W_hh^T (computed by the caller). B batch rows, H hidden units; every
// array is contiguous row-major; b_ih / b_hh may be nullptr (no bias). sigma is the logistic sigmoid.
//
// LSTM, PyTorch's gate order i, f, g, o (blocks of H along each row of xw, hw: (B, 4H)):
//   forward:  a = xw + b_ih + hw + b_hh
//             i = sigma(a_i), f = sigma(a_f), g = tanh(a_g), o = sigma(a_o)
//             c = f * c_prev + i * g,   h = o * tanh(c),   gates = [i, f, g, o]  (saved, (B, 4H))
//   backward: given dh, dc (nullptr: 0), gates, c_prev and c:
//             dc_t = dc + dh * o * (1 - tanh(c)^2)
//             da = [dc_t g i (1 - i),  dc_t c_prev f (1 - f),  dc_t i (1 - g^2),  dh tanh(c) o (1 - o)]
//             dc_prev = dc_t * f
//
// GRU, PyTorch's gate order r, z, n (blocks of H along each row of xw, hw: (B, 3H)):
//   forward:  r = sigma(xw_r + b_ir + hw_r + b_hr),   z = sigma(xw_z + b_iz + hw_z + b_hz)
//             hn = hw_n + b_hn,   n = tanh(xw_n + b_in + r * hn),   h = (1 - z) * n + z * h_prev
//             saved = [r, z, n, hn]  ((B, 4H))
//   backward: dn' = dh (1 - z) (1 - n^2),  dz' = dh (h_prev - n) z (1 - z),  dr' = dn' hn r (1 - r)
//             dxg = [dr', dz', dn']      (gradient of the x-side pre-activations and of b_ih)
//             dhg = [dr', dz', dn' r]    (gradient of the h-side pre-activations and of b_hh)
//             dh_prev = dh * z           (the direct path only; the caller adds dhg W_hh)
//
// OpenMP splits the batch rows when B * H is large enough to pay for the threads.
#pragma once
#include <cstdint>

namespace tl {

template <typename T>
void lstm_cell_forward(const T* xw, const T* hw, const T* b_ih, const T* b_hh, const T* c_prev, T* h, T* c,
                       T* gates, int64_t batch, int64_t hidden);

template <typename T>
void lstm_cell_backward(const T* gates, const T* c_prev, const T* c, const T* dh, const T* dc, T* dgates,
                        T* dc_prev, int64_t batch, int64_t hidden);

template <typename T>
void gru_cell_forward(const T* xw, const T* hw, const T* b_ih, const T* b_hh, const T* h_prev, T* h, T* saved,
                      int64_t batch, int64_t hidden);

template <typename T>
void gru_cell_backward(const T* saved, const T* h_prev, const T* dh, T* dxg, T* dhg, T* dh_prev, int64_t batch,
                       int64_t hidden);

}  // namespace tl
