// GEMM: C := alpha * op(A) * op(B) + beta * C, row-major, float and double.
// op(A) is m x k (A stored k x m when trans_a), op(B) is k x n (B stored n x k when trans_b).
// lda/ldb/ldc are row strides in elements. When beta == 0, C is overwritten and never read (it may hold
// NaN); when k == 0 or alpha == 0, C := beta * C and A, B are not read (BLAS semantics).
// The kernels run on the best instruction set of avx512, avx2, generic that this CPU has, at most
// TENSORLITE_ISA (cpu_features.h); set_gemm_isa() switches at run time. Within AVX-512, each product takes
// the register-tile shape (kernel variant) measured fastest for its shape class; set_gemm_kernel() forces one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tl {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

// `batch` independent products; matrix i of A, B and C starts at a + i*stride_a, b + i*stride_b,
// c + i*stride_c. Small matrices are spread over the threads one matrix each.
template <typename T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                  const T* a, int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta,
                  T* c, int64_t ldc, int64_t stride_c);

// Products A * B where B is gathered in place, row p of B being n consecutive values at b + offsets[p] (for
// a direct convolution: shifted rows of a padded image, so no im2col matrix is built). A (m x k) is
// packed once, with the kernels active at construction, for any number of products. Single-threaded;
// one object may be used from several threads at once.
template <typename T>
class GatheredGemm {
public:
    GatheredGemm(int64_t m, int64_t k, const T* a, int64_t lda);
    // For r < rows: C_r[0:m, 0:n] := A * B_r with B_r(p, j) = b[r * b_step + offsets[p] + j] (p < k, j < n)
    // and C_r at c + r * c_step, row stride ldc. Reads up to slack() - 1 values past each B row's n values
    // (never used in C).
    void run(int64_t rows, int64_t n, const T* b, int64_t b_step, const int64_t* offsets, T* c, int64_t c_step,
             int64_t ldc) const;
    int64_t slack() const { return nr_; }

private:
    using Tile = void (*)(int64_t, T, const T*, const T*, const int64_t*, T, T*, int64_t, int64_t, int64_t,
                          int64_t);
    int64_t m_, k_, mr_, nr_, kc_, m_padded_;
    Tile tile_;
    std::vector<T> a_packed_;  // kc-deep slices, slice at pc * m_padded_, MR-row panels inside
};

// The instruction set whose kernels gemm runs: "avx512", "avx2" or "generic".
std::string gemm_isa();
// The instruction sets this build and CPU can run, best first.
std::vector<std::string> gemm_available_isas();
// Switches the GEMM kernels; std::invalid_argument when `name` is unknown or this CPU lacks it.
void set_gemm_isa(const std::string& name);

// Kernel variants: each is one register-tile shape of one ISA build ("avx512", "avx512-4x64", ..., "avx2",
// "generic"); every product normally runs the variant chosen for its shape within the active ISA.
// The names of the variants that may run here (built, CPU has the ISA, within isa_limit()), best first.
std::vector<std::string> gemm_kernel_variants();
// Forces every GEMM (gemm, gemm_batched, GatheredGemm, and so every conv/linear) onto one variant, whatever
// set_gemm_isa says; "auto" restores the normal choice. std::invalid_argument naming the choices for an
// unknown or unrunnable name.
void set_gemm_kernel(const std::string& name);
// "auto" or the forced variant's name.
std::string gemm_kernel();

// The variants the autotuner (autotune.h) times: gemm_kernel_variants() without "generic" where another
// one runs. Measured 2 threads, float32 (Xeon, AVX-512): generic took 4x avx512's time on 1024^3, 8-15x on
// 64^3 and 100x100x40, 5x on 16x32x32; timing it would only add to the first call's cost.
std::vector<std::string> gemm_tuning_candidates();
// While alive, every GEMM of the process runs variant `name` (unless set_gemm_kernel forces one) and none
// tunes itself: a convolution being tuned, or run by its measured choice, opens one around its inner GEMMs
// (which may run on other threads, so the choice is process-wide: a GEMM that another Python thread runs
// meanwhile runs on it too, slower at worst, never wrong).
class GemmKernelScope {
public:
    explicit GemmKernelScope(const std::string& name);
    ~GemmKernelScope();
    GemmKernelScope(const GemmKernelScope&) = delete;
    GemmKernelScope& operator=(const GemmKernelScope&) = delete;
    static bool active();

private:
    const void* previous_;
};

// Register tile (mr x nr) and cache blocks (mc, kc, nc) for one scalar type of the forced variant, else of
// the active ISA's main table, and the depth up to which a product whose A is read in place (not packed)
// runs as one slice instead of kc-deep ones.
struct GemmBlocking {
    int mr, nr, mc, kc, nc, in_place_a_max_depth;
};
GemmBlocking gemm_blocking(bool float64);

}  // namespace tl
