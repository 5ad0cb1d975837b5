// GEMM: C := alpha * op(A) * op(B) + beta * C, row-major, float and double.
// Reference-quality blocked implementation: rows of C are split across OpenMP threads; for each
// row block, op(B) rows are streamed and accumulated (i-p-j order, contiguous inner loop).
#include "kernels/gemm.h"

#include <algorithm>
#include <vector>

namespace tl {
namespace {

constexpr int64_t kRowBlock = 16;
constexpr int64_t kDepthBlock = 256;

// Scales C by beta; beta == 0 overwrites with zeros so that NaN in C is ignored (BLAS semantics).
template <typename T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
    if (beta == T(1)) return;
#pragma omp parallel for schedule(static) if (m * n > 16384)
    for (int64_t i = 0; i < m; ++i) {
        T* row = c + i * ldc;
        if (beta == T(0)) {
            std::fill(row, row + n, T(0));
        } else {
            for (int64_t j = 0; j < n; ++j) row[j] *= beta;
        }
    }
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    if (m == 0 || n == 0) return;
    scale_c(m, n, beta, c, ldc);
    if (k == 0 || alpha == T(0)) return;

    // op(B) as a contiguous k x n panel so the inner loop is unit-stride.
    std::vector<T> b_panel;
    const T* bp = b;
    int64_t ldbp = ldb;
    if (trans_b) {
        b_panel.resize(static_cast<size_t>(k * n));
        for (int64_t j = 0; j < n; ++j)
            for (int64_t p = 0; p < k; ++p) b_panel[p * n + j] = b[j * ldb + p];
        bp = b_panel.data();
        ldbp = n;
    }

    const int64_t row_blocks = (m + kRowBlock - 1) / kRowBlock;
#pragma omp parallel for schedule(static) if (m * n * k > 32768)
    for (int64_t rb = 0; rb < row_blocks; ++rb) {
        const int64_t i0 = rb * kRowBlock;
        const int64_t i1 = std::min(m, i0 + kRowBlock);
        for (int64_t p0 = 0; p0 < k; p0 += kDepthBlock) {
            const int64_t p1 = std::min(k, p0 + kDepthBlock);
            for (int64_t i = i0; i < i1; ++i) {
                T* crow = c + i * ldc;
                for (int64_t p = p0; p < p1; ++p) {
                    const T aip = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);
                    const T* brow = bp + p * ldbp;
                    for (int64_t j = 0; j < n; ++j) crow[j] += aip * brow[j];
                }
            }
        }
    }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                          int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

}  // namespace tl
