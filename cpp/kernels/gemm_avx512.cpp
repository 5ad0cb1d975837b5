// GEMM kernels for AVX-512F (512-bit): C := beta*C + alpha*A*B on 12x32 float32 and 12x16 float64 register
// tiles of packed panels (24 accumulators), and further tile shapes for thin products (avx512_tile_variants),
// plus packing and GEMV primitives (layouts in gemm_isa.h).
// Compiled with -mavx512f -mavx2 -mfma (CMakeLists.txt); only called after CPUID reports AVX-512F.
#include "kernels/gemm_isa.h"

#if defined(__AVX512F__)
#include <immintrin.h>

#include "kernels/gemm_microkernel.h"

namespace tl {
namespace gemm_impl {
namespace {

// The 4x4 transpose of 128-bit lanes that ends an in-register transpose: with step = N/4, for c < step,
// X_g = r[c + g*step] (g < 4) becomes Y_L at r[c + L*step], lane g of Y_L being lane L of X_g. `even(a, b)`
// takes lanes 0 and 2 of a, then of b; `odd(a, b)` lanes 1 and 3.
template <class Vec, int N, class Even, class Odd>
inline void transpose_lanes(Vec (&r)[N], Even even, Odd odd) {
    constexpr int step = N / 4;
    for (int c = 0; c < step; ++c) {
        const Vec x0 = r[c], x1 = r[c + step], x2 = r[c + 2 * step], x3 = r[c + 3 * step];
        const Vec t0 = even(x0, x1), t1 = odd(x0, x1), t2 = even(x2, x3), t3 = odd(x2, x3);
        r[c] = even(t0, t2);
        r[c + step] = even(t1, t3);
        r[c + 2 * step] = odd(t0, t2);
        r[c + 3 * step] = odd(t1, t3);
    }
}

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
    // In registers (packing a transposed operand, e.g. dY^T in a convolution's dW, is a large share of a
    // thin product's time). Unpacks transpose 4x4 blocks inside each 128-bit lane: afterwards r[4g + c]
    // holds, in lane L, rows 4g..4g+3 of column 4L + c; then a 4x4 transpose of lanes across g.
    static void transpose(V (&r)[W]) {
        V t[W];
        for (int i = 0; i < W; i += 2) {
            t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < W; i += 4) {
            const __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
            const __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
            r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
            r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
            r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
            r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
        }
        transpose_lanes(r, [](V a, V b) { return _mm512_shuffle_f32x4(a, b, 0x88); },
                        [](V a, V b) { return _mm512_shuffle_f32x4(a, b, 0xdd); });
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
    // In registers, as F32: after the unpacks r[2g + c] holds, in lane L, rows 2g, 2g+1 of column 2L + c.
    static void transpose(V (&r)[W]) {
        for (int i = 0; i < W; i += 2) {
            const V lo = _mm512_unpacklo_pd(r[i], r[i + 1]), hi = _mm512_unpackhi_pd(r[i], r[i + 1]);
            r[i] = lo;
            r[i + 1] = hi;
        }
        transpose_lanes(r, [](V a, V b) { return _mm512_shuffle_f64x2(a, b, 0x88); },
                        [](V a, V b) { return _mm512_shuffle_f64x2(a, b, 0xdd); });
    }
};

// Blocks for server cores with 1-2 MiB L2: a kc x 32 float B micro-panel is 32 KiB at kc = 256,
// the mc x kc A block 240 KiB, the kc x nc B panel 4 MiB.
constexpr Isa kAvx512 = {"avx512", make_kernels<F32, 12, 2, 240, 256, 4096>(),
                     make_kernels<F64, 12, 2, 120, 256, 4096>()};

}  // namespace

// Shapes for products that waste much of a 12x32 tile (float32 tile in the name; float64 has half the
// columns), chosen per shape in gemm.cpp. Register use of 32 zmm: accumulators + B vectors + a broadcast.
//   4x64: few rows of C (a convolution's dX with 1-3 input channels): 16 + 4 + 1; tall tile 8x32: 16 + 2 + 1.
//   8x32: rows in eights (16 or 32 output channels): 16 + 2 + 1, tall tile 16x16 the same.
//   12x16: few columns of C (dW^T with 16 output channels): 12 + 1 + 1, a single vector wide. (24x16 was
//   slower on every traced shape but one: with A read in place, 24 row pointers do not fit the 16 GPRs.)
constexpr Isa kAvx512Tiles[] = {
    {"avx512-4x64", make_kernels<F32, 4, 4, 240, 256, 4096>(), make_kernels<F64, 4, 4, 120, 256, 4096>()},
    {"avx512-8x32", make_kernels<F32, 8, 2, 240, 256, 4096>(), make_kernels<F64, 8, 2, 120, 256, 4096>()},
    {"avx512-12x16", make_kernels<F32, 12, 1, 240, 256, 4096>(), make_kernels<F64, 12, 1, 120, 256, 4096>()},
};

const Isa* avx512_kernels() { return &kAvx512; }

IsaTables avx512_tile_variants() {
    return {kAvx512Tiles, static_cast<int>(sizeof(kAvx512Tiles) / sizeof(kAvx512Tiles[0]))};
}

}  // namespace gemm_impl
}  // namespace tl

#else

namespace tl {
namespace gemm_impl {
const Isa* avx512_kernels() { return nullptr; }
IsaTables avx512_tile_variants() { return {nullptr, 0}; }
}  // namespace gemm_impl
}  // namespace tl

#endif
