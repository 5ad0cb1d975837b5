// GEMM building blocks shared by the per-ISA translation units: the MR x NR microkernel
// (C := beta*C + alpha*A*B on one register tile of packed panels), the packing routines and the GEMV
// primitives, written once over a SIMD traits type S:
//   S::T scalar, S::V vector of S::W lanes; zero(), set1(x), load(p), store(p, v) (unaligned),
//   fma(a, b, c) = a*b + c, mul(a, b), add(a, b), reduce(v) = sum of lanes,
//   transpose(v[W]): transposes the W x W block whose rows are v[0..W) in place.
// Every function here is a template of S, and each unit defines its S in an anonymous namespace, so
// code compiled with different ISA flags never merges at link time (no ODR clash across units).
// Layouts: see gemm_isa.h. No standard-library templates are used here for the same reason.
#pragma once
#include <cstdint>

#include "kernels/gemm_isa.h"

#if defined(__GNUC__) || defined(__clang__)
#define TL_UNROLL _Pragma("GCC unroll 32")
#define TL_RESTRICT __restrict__
#define TL_PREFETCH(p) __builtin_prefetch(p, 1, 3)
#else
#define TL_PREFETCH(p)
#define TL_UNROLL
#define TL_RESTRICT
#endif

namespace tl {
namespace gemm_impl {

// Stores alpha*acc into C[0:mr, 0:nr] (beta == 0: C is not read) or beta*C + alpha*acc.
template <class S, int MR, int NV>
inline void store_tile(typename S::V (&acc)[MR][NV], typename S::T alpha, typename S::T beta,
                       typename S::T* c, int64_t ldc, int64_t mr, int64_t nr) {
    using T = typename S::T;
    constexpr int W = S::W, NR = NV * W;
    const auto va = S::set1(alpha);
    if (mr == MR && nr == NR) {
        if (beta == T(0)) {
            TL_UNROLL for (int i = 0; i < MR; ++i) {
                TL_UNROLL for (int v = 0; v < NV; ++v) S::store(c + i * ldc + v * W, S::mul(va, acc[i][v]));
            }
        } else {
            const auto vb = S::set1(beta);
            TL_UNROLL for (int i = 0; i < MR; ++i) {
                TL_UNROLL for (int v = 0; v < NV; ++v) {
                    T* cp = c + i * ldc + v * W;
                    S::store(cp, S::fma(va, acc[i][v], S::mul(vb, S::load(cp))));
                }
            }
        }
        return;
    }
    // Edge tile: the full tile goes to a local buffer, only the mr x nr part reaches C.
    alignas(64) T buf[MR * NR];
    TL_UNROLL for (int i = 0; i < MR; ++i) {
        TL_UNROLL for (int v = 0; v < NV; ++v) S::store(buf + i * NR + v * W, S::mul(va, acc[i][v]));
    }
    for (int64_t i = 0; i < mr; ++i) {
        T* crow = c + i * ldc;
        const T* brow = buf + i * NR;
        if (beta == T(0)) {
            for (int64_t j = 0; j < nr; ++j) crow[j] = brow[j];
        } else {
            for (int64_t j = 0; j < nr; ++j) crow[j] = beta * crow[j] + brow[j];
        }
    }
}

// Register tile of RM rows x RV vectors, reading A panels of stride AS per k step and B panels of stride
// BS per k step (a packed micro-panel: AS = MR, BS = NR; A in place: see tile_strided_a).
// Rows >= mr of A are never read when kPackedA is false (they alias row 0).
template <class S, int RM, int RV, bool kPackedA, int AS, int BS>
inline void tile_part(int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a, int64_t cs_a,
                      const typename S::T* TL_RESTRICT b, typename S::T beta, typename S::T* c, int64_t ldc,
                      int64_t mr, int64_t nr) {
    using T = typename S::T;
    constexpr int W = S::W;
    TL_UNROLL for (int i = 0; i < RM; ++i) {
        TL_PREFETCH(c + i * ldc);
        TL_PREFETCH(c + i * ldc + RV * W - 1);
    }
    typename S::V acc[RM][RV];
    TL_UNROLL for (int i = 0; i < RM; ++i) {
        TL_UNROLL for (int v = 0; v < RV; ++v) acc[i][v] = S::zero();
    }
    if (kPackedA) {
#pragma GCC unroll 4
        for (int64_t p = 0; p < k; ++p) {
            typename S::V bv[RV];
            TL_UNROLL for (int v = 0; v < RV; ++v) bv[v] = S::load(b + v * W);
            TL_UNROLL for (int i = 0; i < RM; ++i) {
                const auto ai = S::set1(a[i]);
                TL_UNROLL for (int v = 0; v < RV; ++v) acc[i][v] = S::fma(ai, bv[v], acc[i][v]);
            }
            a += AS;
            b += BS;
        }
    } else {
        const T* rows[RM];
        TL_UNROLL for (int i = 0; i < RM; ++i) rows[i] = a + (i < mr ? i : 0) * rs_a;
        for (int64_t p = 0, off = 0; p < k; ++p, off += cs_a) {
            typename S::V bv[RV];
            TL_UNROLL for (int v = 0; v < RV; ++v) bv[v] = S::load(b + v * W);
            TL_UNROLL for (int i = 0; i < RM; ++i) {
                const auto ai = S::set1(rows[i][off]);
                TL_UNROLL for (int v = 0; v < RV; ++v) acc[i][v] = S::fma(ai, bv[v], acc[i][v]);
            }
            b += BS;
        }
    }
    store_tile<S, RM, RV>(acc, alpha, beta, c, ldc, mr, nr);
}

// Runs the smallest of the full, half-height and half-width tiles that covers mr x nr, so an edge
// tile costs about its own size rather than a full MR x NR tile.
template <class S, int MR, int NV, bool kPackedA>
inline void tile_dispatch(int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a, int64_t cs_a,
                          const typename S::T* b, typename S::T beta, typename S::T* c, int64_t ldc, int64_t mr,
                          int64_t nr) {
    constexpr int MH = (MR + 1) / 2, NH = (NV + 1) / 2, NR = NV * S::W;
    const bool half_rows = mr <= MH, half_cols = NV > 1 && nr <= NH * S::W;
    if (half_rows && half_cols)
        tile_part<S, MH, NH, kPackedA, MR, NR>(k, alpha, a, rs_a, cs_a, b, beta, c, ldc, mr, nr);
    else if (half_rows)
        tile_part<S, MH, NV, kPackedA, MR, NR>(k, alpha, a, rs_a, cs_a, b, beta, c, ldc, mr, nr);
    else if (half_cols)
        tile_part<S, MR, NH, kPackedA, MR, NR>(k, alpha, a, rs_a, cs_a, b, beta, c, ldc, mr, nr);
    else
        tile_part<S, MR, NV, kPackedA, MR, NR>(k, alpha, a, rs_a, cs_a, b, beta, c, ldc, mr, nr);
}

// Microkernel on a packed A micro-panel (MR x k) and a packed B micro-panel (k x NR).
template <class S, int MR, int NV>
void tile_packed(int64_t k, typename S::T alpha, const typename S::T* a, const typename S::T* b,
                 typename S::T beta, typename S::T* c, int64_t ldc, int64_t mr, int64_t nr) {
    tile_dispatch<S, MR, NV, true>(k, alpha, a, 0, 0, b, beta, c, ldc, mr, nr);
}

// Microkernel reading A in place (row i at a + i*rs_a, step cs_a along k) and a packed B micro-panel.
template <class S, int MR, int NV>
void tile_strided_a(int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a, int64_t cs_a,
                    const typename S::T* b, typename S::T beta, typename S::T* c, int64_t ldc, int64_t mr,
                    int64_t nr) {
    tile_dispatch<S, MR, NV, false>(k, alpha, a, rs_a, cs_a, b, beta, c, ldc, mr, nr);
}

// Packs op(A)[0:mc, 0:kc] into MR-row micro-panels, zero padding the last one.
template <class S, int MR>
void pack_a(int64_t mc, int64_t kc, const typename S::T* a, int64_t rs_a, int64_t cs_a, typename S::T* dst) {
    using T = typename S::T;
    for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
        const int64_t mr = mc - i0 < MR ? mc - i0 : MR;
        const T* src = a + i0 * rs_a;
        if (mr == MR && rs_a == 1) {  // A transposed in memory: MR contiguous values per k step
            for (int64_t p = 0; p < kc; ++p) {
                TL_UNROLL for (int i = 0; i < MR; ++i) dst[p * MR + i] = src[p * cs_a + i];
            }
        } else if (mr == MR && cs_a == 1) {  // rows contiguous along k: W x W blocks transposed in registers
            constexpr int W = S::W;
            int64_t p = 0;
            for (; p + W <= kc; p += W) {
                TL_UNROLL for (int g = 0; g < MR; g += W) {
                    typename S::V block[W];
                    TL_UNROLL for (int q = 0; q < W; ++q) block[q] = g + q < MR ? S::load(src + (g + q) * rs_a + p)
                                                                               : S::zero();
                    S::transpose(block);
                    alignas(64) T cols[W][W];
                    TL_UNROLL for (int q = 0; q < W; ++q) S::store(cols[q], block[q]);
                    TL_UNROLL for (int q = 0; q < W; ++q) {
                        TL_UNROLL for (int i = 0; i < W; ++i) {
                            if (g + i < MR) dst[(p + q) * MR + g + i] = cols[q][i];
                        }
                    }
                }
            }
            for (; p < kc; ++p) {
                TL_UNROLL for (int i = 0; i < MR; ++i) dst[p * MR + i] = src[i * rs_a + p];
            }
        } else {
            for (int64_t p = 0; p < kc; ++p) {
                for (int64_t i = 0; i < MR; ++i) dst[p * MR + i] = i < mr ? src[i * rs_a + p * cs_a] : T(0);
            }
        }
    }
}

// Packs op(B)[0:kc, 0:nc] into NR-column micro-panels, zero padding the last one.
template <class S, int NR>
void pack_b(int64_t kc, int64_t nc, const typename S::T* b, int64_t rs_b, int64_t cs_b, typename S::T* dst) {
    using T = typename S::T;
    for (int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
        const int64_t nr = nc - j0 < NR ? nc - j0 : NR;
        const T* src = b + j0 * cs_b;
        if (nr == NR && cs_b == 1) {  // rows of B contiguous: NR values per k step
            for (int64_t p = 0; p < kc; ++p) {
                TL_UNROLL for (int j = 0; j < NR; ++j) dst[p * NR + j] = src[p * rs_b + j];
            }
        } else if (nr == NR && rs_b == 1) {  // B transposed in memory: columns contiguous along k
            constexpr int W = S::W;
            int64_t p = 0;
            for (; p + W <= kc; p += W) {  // W x W blocks: W columns in, transposed in registers, W rows out
                TL_UNROLL for (int g = 0; g < NR / W; ++g) {
                    typename S::V block[W];
                    TL_UNROLL for (int q = 0; q < W; ++q) block[q] = S::load(src + (g * W + q) * cs_b + p);
                    S::transpose(block);
                    TL_UNROLL for (int q = 0; q < W; ++q) S::store(dst + (p + q) * NR + g * W, block[q]);
                }
            }
            for (; p < kc; ++p) {
                for (int64_t j = 0; j < NR; ++j) dst[p * NR + j] = src[j * cs_b + p];
            }
        } else {
            for (int64_t p = 0; p < kc; ++p) {
                for (int64_t j = 0; j < NR; ++j) dst[p * NR + j] = j < nr ? src[p * rs_b + j * cs_b] : T(0);
            }
        }
    }
}

// sum_i x[i] * y[i] with four independent vector accumulators.
template <class S>
typename S::T dot(int64_t n, const typename S::T* x, const typename S::T* y) {
    constexpr int W = S::W;
    auto s0 = S::zero(), s1 = S::zero(), s2 = S::zero(), s3 = S::zero();
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        s0 = S::fma(S::load(x + i), S::load(y + i), s0);
        s1 = S::fma(S::load(x + i + W), S::load(y + i + W), s1);
        s2 = S::fma(S::load(x + i + 2 * W), S::load(y + i + 2 * W), s2);
        s3 = S::fma(S::load(x + i + 3 * W), S::load(y + i + 3 * W), s3);
    }
    for (; i + W <= n; i += W) s0 = S::fma(S::load(x + i), S::load(y + i), s0);
    typename S::T sum = S::reduce(S::add(S::add(s0, s1), S::add(s2, s3)));
    for (; i < n; ++i) sum += x[i] * y[i];
    return sum;
}

// y[i] += s * x[i].
template <class S>
void axpy(int64_t n, typename S::T s, const typename S::T* TL_RESTRICT x, typename S::T* TL_RESTRICT y) {
    constexpr int W = S::W;
    const auto vs = S::set1(s);
    int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        S::store(y + i, S::fma(vs, S::load(x + i), S::load(y + i)));
        S::store(y + i + W, S::fma(vs, S::load(x + i + W), S::load(y + i + W)));
    }
    for (; i + W <= n; i += W) S::store(y + i, S::fma(vs, S::load(x + i), S::load(y + i)));
    for (; i < n; ++i) y[i] += s * x[i];
}

// The kernel table for one scalar type: MR x (NV * S::W) microkernels and MC/KC/NC cache blocks.
template <class S, int MR, int NV, int MC, int KC, int NC>
constexpr Kernels<typename S::T> make_kernels() {
    static_assert(MC % MR == 0 && NC % (NV * S::W) == 0, "cache blocks must be multiples of the tile");
    return {MR,
            NV * S::W,
            MC,
            KC,
            NC,
            &pack_a<S, MR>,
            &pack_b<S, NV * S::W>,
            &tile_packed<S, MR, NV>,
            &tile_strided_a<S, MR, NV>,
            &dot<S>,
            &axpy<S>};
}

}  // namespace gemm_impl
}  // namespace tl
