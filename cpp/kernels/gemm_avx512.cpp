// GEMM kernels for AVX-512F (512-bit): C := beta*C + alpha*A*B on 12x32 float32 and 12x16 float64 register
// tiles of packed panels (24 accumulators), plus packing and GEMV primitives (layouts in gemm_isa.h).
// Compiled with -mavx512f -mavx2 -mfma (CMakeLists.txt); only called after CPUID reports AVX-512F.
#include "kernels/gemm_isa.h"

#if defined(__AVX512F__)
#include <immintrin.h>

#include "kernels/gemm_microkernel.h"

namespace tl {
namespace gemm_impl {
namespace {

struct F32 {
    using T = float;
    using V = __m512;
    static constexpr int W = 16;
    static V zero() { return _mm512_setzero_ps(); }
    static V set1(T x) { return _mm512_set1_ps(x); }
    static V load(const T* p) { return _mm512_loadu_ps(p); }
    static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static T fma1(T x, T y, T z) { return __builtin_fmaf(x, y, z); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static void store_part(T* p, V v, int64_t n) { _mm512_mask_storeu_ps(p, __mmask16((1u << n) - 1), v); }
    static V load_part(const T* p, int64_t n) { return _mm512_maskz_loadu_ps(__mmask16((1u << n) - 1), p); }
    static T reduce(V v) { return _mm512_reduce_add_ps(v); }
    // Through memory: simple, and packing is a small share of the work.
    static void transpose(V (&r)[W]) {
        alignas(64) T m[W][W];
        for (int i = 0; i < W; ++i) _mm512_store_ps(m[i], r[i]);
        for (int i = 0; i < W; ++i)
            for (int j = i + 1; j < W; ++j) {
                const T t = m[i][j];
                m[i][j] = m[j][i];
                m[j][i] = t;
            }
        for (int i = 0; i < W; ++i) r[i] = _mm512_load_ps(m[i]);
    }
};

struct F64 {
    using T = double;
    using V = __m512d;
    static constexpr int W = 8;
    static V zero() { return _mm512_setzero_pd(); }
    static V set1(T x) { return _mm512_set1_pd(x); }
    static V load(const T* p) { return _mm512_loadu_pd(p); }
    static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
    static T fma1(T x, T y, T z) { return __builtin_fma(x, y, z); }
    static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
    static V add(V a, V b) { return _mm512_add_pd(a, b); }
    static void store_part(T* p, V v, int64_t n) { _mm512_mask_storeu_pd(p, __mmask8((1u << n) - 1), v); }
    static V load_part(const T* p, int64_t n) { return _mm512_maskz_loadu_pd(__mmask8((1u << n) - 1), p); }
    static T reduce(V v) { return _mm512_reduce_add_pd(v); }
    // Through memory: simple, and packing is a small share of the work.
    static void transpose(V (&r)[W]) {
        alignas(64) T m[W][W];
        for (int i = 0; i < W; ++i) _mm512_store_pd(m[i], r[i]);
        for (int i = 0; i < W; ++i)
            for (int j = i + 1; j < W; ++j) {
                const T t = m[i][j];
                m[i][j] = m[j][i];
                m[j][i] = t;
            }
        for (int i = 0; i < W; ++i) r[i] = _mm512_load_pd(m[i]);
    }
};

// Blocks for server cores with 1-2 MiB L2: a kc x 32 float B micro-panel is 32 KiB at kc = 256,
// the mc x kc A block 240 KiB, the kc x nc B panel 4 MiB.
constexpr Isa kAvx512 = {"avx512", make_kernels<F32, 12, 2, 240, 256, 4096>(),
                     make_kernels<F64, 12, 2, 120, 256, 4096>()};

}  // namespace

const Isa* avx512_kernels() { return &kAvx512; }

}  // namespace gemm_impl
}  // namespace tl

#else

namespace tl {
namespace gemm_impl {
const Isa* avx512_kernels() { return nullptr; }
}  // namespace gemm_impl
}  // namespace tl

#endif
