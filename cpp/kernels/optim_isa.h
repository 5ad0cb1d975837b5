// The per-instruction-set builds of the fused optimizer loops (optim_loops.h): optim_generic is
// compiled in optim.cpp, optim_avx2 in optim_avx2.cpp with -mavx2 -mfma. optim.cpp picks one per call.
#pragma once
#include <cstdint>

#include "kernels/optim.h"

namespace tl {
namespace optim_avx2 {

// True when optim_avx2.cpp was compiled with AVX2 and FMA enabled (else it holds a portable copy).
bool built();

template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buf, int64_t n, const SgdHyper& h);
template <typename T>
void momentum_step(T* param, const T* grad, T* velocity, int64_t n, double lr, double mu);
template <typename T>
void adagrad_step(T* param, const T* grad, T* sum, int64_t n, const AdagradHyper& h);
template <typename T>
void rmsprop_step(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buf, int64_t n,
                  const RmspropHyper& h);
template <typename T>
void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
               const AdamHyper& h);
template <typename T>
void adadelta_step(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n, const AdadeltaHyper& h);

}  // namespace optim_avx2
}  // namespace tl
