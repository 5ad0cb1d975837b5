// What the GEMM entry points (gemm.cpp) call in the driver (gemm_driver.cpp). Internal to the GEMM units.
#pragma once
#include "kernels/gemm_isa.h"
#include "kernels/gemm_plan.h"

namespace tl {
namespace gemm_impl {

// Threads worth using for `work` multiply-adds (each thread gets more than 2^17, so two threads start
// above 2^18 as in OpenBLAS): 1 inside another parallel region.
int threads_for(double work);

// C := alpha * op(A) * op(B) + beta * C for any m, n, k >= 0 on `nthreads` threads with the kernels `kr`:
// C scaled only (k == 0 or alpha == 0), GEMV (m == 1 or n == 1), C computed transposed (narrow C with A
// stored transposed), or the blocked product.
template <typename T>
void gemm_run(const Kernels<T>& kr, int nthreads, const Problem<T>& pr);

}  // namespace gemm_impl
}  // namespace tl
