// Batch normalization over a contiguous (N, C, S) array: N samples, C channels, S positions per
// channel (S = 1 for (N, C) input, L for (N, C, L), H*W for (N, C, H, W)). Statistics are per channel
// over the M = N*S values of that channel.
//   training forward:  mean_c = (1/M) sum x,  var_c = (1/M) sum (x - mean_c)^2   (biased, one pass)
//                      y = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c   (fused, one pass)
//   eval forward:      the same affine map with the given (running) mean_c and var_c.
//   backward:          xhat = (x - mean_c) * invstd_c,  dbeta_c = sum dy,  dgamma_c = sum dy * xhat
//                      batch statistics:  dx = gamma_c * invstd_c / M * (M dy - dbeta_c - xhat dgamma_c)
//                      fixed statistics:  dx = gamma_c * invstd_c * dy
// gamma == nullptr means gamma = 1, beta == nullptr means beta = 0. Sums accumulate in double.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tl {

template <typename T>
void batchnorm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, int64_t n,
                             int64_t c, int64_t s, double eps);

template <typename T>
void batchnorm_forward_eval(const T* x, const T* gamma, const T* beta, const T* mean, const T* var, T* y,
                            int64_t n, int64_t c, int64_t s, double eps);

template <typename T>
void batchnorm_backward(const T* x, const T* dy, const T* mean, const T* var, const T* gamma, T* dx,
                        T* dgamma, T* dbeta, int64_t n, int64_t c, int64_t s, double eps, bool batch_stats);

// Which build of the loops runs (batchnorm_isa.h): its name, the builds this CPU can run (at most
// TENSORLITE_ISA, best first), and a switch for tests and benchmarks (std::invalid_argument if unknown).
std::string batchnorm_isa();
std::vector<std::string> batchnorm_available_isas();
void set_batchnorm_isa(const std::string& name);

}  // namespace tl
