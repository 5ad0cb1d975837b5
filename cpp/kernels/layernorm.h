// Layer and group normalization over a contiguous (N, C, S) array split into G groups of Cg = C / G
// channels: row r = n * G + g is the D = Cg * S contiguous values of group g of sample n.
// LayerNorm is G = 1, S = 1 (C = the normalized size); GroupNorm is S = the spatial size.
//   forward:   mean_r = (1/D) sum x,  var_r = (1/D) sum (x - mean_r)^2   (biased; one pass of sums
//              shifted by the row's first value, accumulated in double),  rstd_r = 1 / sqrt(var_r + eps)
//              y = (x - mean_r) * rstd_r * gamma_c + beta_c   (gamma, beta per channel c = g * Cg + j / S)
//   backward:  xhat = (x - mean_r) * rstd_r,  h = dy * gamma_c
//              dx = rstd_r * (h - (1/D) sum_row h - xhat * (1/D) sum_row h * xhat)   (fused, per row)
//              dgamma_c = sum_{n, s} dy * xhat,  dbeta_c = sum_{n, s} dy
// gamma == nullptr means gamma = 1, beta == nullptr means beta = 0; dgamma/dbeta == nullptr skip the
// parameter gradients (both or neither). mean and rstd have N * G entries. D = 0 gives mean 0, rstd
// 1/sqrt(eps). Threads split rows (forward, dx) and channel blocks (dgamma, dbeta) once the work is
// large enough; nothing is allocated inside a parallel region.
#pragma once
#include <cstdint>

namespace tl {

template <typename T>
void layernorm_forward(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd, int64_t n,
                       int64_t c, int64_t s, int64_t groups, double eps);

template <typename T>
void layernorm_backward(const T* x, const T* dy, const T* mean, const T* rstd, const T* gamma, T* dx,
                        T* dgamma, T* dbeta, int64_t n, int64_t c, int64_t s, int64_t groups);

}  // namespace tl
