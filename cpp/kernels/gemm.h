// GEMM: C := alpha * op(A) * op(B) + beta * C, row-major.
// op(A) is m x k (A stored k x m when trans_a), op(B) is k x n (B stored n x k when trans_b).
// lda/ldb/ldc are row strides in elements. When beta == 0, C is overwritten and never read.
#pragma once
#include <cstdint>

namespace tl {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

}  // namespace tl
