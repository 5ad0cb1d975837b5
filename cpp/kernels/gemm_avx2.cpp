// GEMM kernels for AVX2 + FMA (256-bit): C := beta*C + alpha*A*B on 6x16 float32 and 6x8 float64 register
// tiles of packed panels, plus packing and GEMV primitives (layouts in gemm_isa.h).
// Compiled with -mavx2 -mfma (CMakeLists.txt); only called after CPUID reports AVX2 and FMA.
#include "kernels/gemm_isa.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "kernels/gemm_microkernel.h"

namespace tl {
namespace gemm_impl {
namespace {

// The first n (0 < n < 8) floats of v to p, in whole 4-, 2- and 1-lane pieces: a masked store (vmaskmovps)
// costs about as much as a copy through memory on AMD Zen. With n even, the first n/2 doubles.
void store_first_floats(float* p, __m256 v, int64_t n) {
    __m128 h = _mm256_castps256_ps128(v);
    if (n & 4) {
        _mm_storeu_ps(p, h);
        h = _mm256_extractf128_ps(v, 1);
        p += 4;
    }
    if (n & 2) {
        _mm_storel_pi(reinterpret_cast<__m64*>(p), h);
        h = _mm_movehl_ps(h, h);
        p += 2;
    }
    if (n & 1) _mm_store_ss(p, h);
}

// The first n (0 < n < 8) floats at p, the other lanes zero; nothing past them is read.
__m256 load_first_floats(const float* p, int64_t n) {
    alignas(32) static const int32_t lane_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_maskload_ps(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lane_mask + 8 - n)));
}

struct F32 {
    using T = float;
    using V = __m256;
    static constexpr int W = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V set1(T x) { return _mm256_set1_ps(x); }
    static V load(const T* p) { return _mm256_loadu_ps(p); }
    static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static T fma1(T x, T y, T z) { return __builtin_fmaf(x, y, z); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static void store_part(T* p, V v, int64_t n) { store_first_floats(p, v, n); }
    static V load_part(const T* p, int64_t n) { return load_first_floats(p, n); }
    static T reduce(V v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
    static void transpose(V (&r)[8]) {
        const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
        const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
        const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
        const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
        const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
        r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
        r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
        r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
        r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
        r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
        r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
        r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
    }
};

struct F64 {
    using T = double;
    using V = __m256d;
    static constexpr int W = 4;
    static V zero() { return _mm256_setzero_pd(); }
    static V set1(T x) { return _mm256_set1_pd(x); }
    static V load(const T* p) { return _mm256_loadu_pd(p); }
    static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
    static T fma1(T x, T y, T z) { return __builtin_fma(x, y, z); }
    static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
    static V add(V a, V b) { return _mm256_add_pd(a, b); }
    static void store_part(T* p, V v, int64_t n) {
        store_first_floats(reinterpret_cast<float*>(p), _mm256_castpd_ps(v), 2 * n);
    }
    static V load_part(const T* p, int64_t n) {
        return _mm256_castps_pd(load_first_floats(reinterpret_cast<const float*>(p), 2 * n));
    }
    static T reduce(V v) {
        __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
        return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
    }
    static void transpose(V (&r)[4]) {
        const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
        const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
        r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
        r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
        r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
        r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
    }
};

// Blocks for Zen-class cores (32 KiB L1d, 512 KiB L2): a kc x 16 float B micro-panel is 24.5 KiB (most of
// L1; kc = 392 rather than 256 measured 1-3% faster where k = 784 or 1024, e.g. 128x784 @ 784x100, and
// neutral on square 1024/2048), the mc x kc A block 220 KiB (under half of L2), the kc x nc B panel in L3.
constexpr Isa kAvx2 = {"avx2", make_kernels<F32, 6, 2, 144, 392, 4080>(), make_kernels<F64, 6, 2, 72, 256, 4080>()};

}  // namespace

const Isa* avx2_kernels() { return &kAvx2; }

}  // namespace gemm_impl
}  // namespace tl

#else

namespace tl {
namespace gemm_impl {
const Isa* avx2_kernels() { return nullptr; }
}  // namespace gemm_impl
}  // namespace tl

#endif
