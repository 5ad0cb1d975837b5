// GEMM building blocks shared by the per-ISA translation units: the MR x NR microkernel
// (C := beta*C + alpha*A*B on one register tile of packed panels), the packing routines and the GEMV
// primitives, written once over a SIMD traits type S:
//   S::T scalar, S::V vector of S::W lanes; zero(), set1(x), load(p), store(p, v) (unaligned),
//   fma(a, b, c) = a*b + c, fma1(x, y, z) = x*y + z on scalars (one rounding, as in fma), mul(a, b),
//   add(a, b), reduce(v) = sum of lanes, store_part(p, v, n) / load_part(p, n): the first n lanes only
//   (0 < n < W; load_part zeroes the others; neither touches memory past them),
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
#define TL_PREFETCH_READ(p) __builtin_prefetch(p, 0, 3)
#define TL_PREFETCH_L2(p) __builtin_prefetch(p, 0, 2)
#define TL_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TL_ALWAYS_INLINE inline
#define TL_PREFETCH(p)
#define TL_PREFETCH_READ(p)
#define TL_PREFETCH_L2(p)
#define TL_UNROLL
#define TL_RESTRICT
#endif

namespace tl {
namespace gemm_impl {

// *c := alpha*sum (beta == 0: *c is not read) or alpha*sum + beta*(*c) rounded once after the product
// beta*(*c), as store_tile does, so every path gives C the same bits.
template <class S>
inline void store_scaled(typename S::T sum, typename S::T alpha, typename S::T beta, typename S::T* c) {
    *c = beta == typename S::T(0) ? alpha * sum : S::fma1(alpha, sum, beta * *c);
}

// Stores alpha*acc into C[0:mr, 0:nr] (beta == 0: C is not read) or beta*C + alpha*acc, where
// C(i, j) = c[i*rs_c + j*cs_c] (cs_c != 1: C is written transposed, element by element).
template <class S, int MR, int NV>
inline void store_tile(typename S::V (&acc)[MR][NV], typename S::T alpha, typename S::T beta,
                       typename S::T* c, int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr) {
    using T = typename S::T;
    constexpr int W = S::W, NR = NV * W;
    const auto va = S::set1(alpha);
    if (mr == MR && nr == NR && cs_c == 1) {
        if (beta == T(0)) {
            TL_UNROLL for (int i = 0; i < MR; ++i) {
                TL_UNROLL for (int v = 0; v < NV; ++v) S::store(c + i * rs_c + v * W, S::mul(va, acc[i][v]));
            }
        } else {
            const auto vb = S::set1(beta);
            TL_UNROLL for (int i = 0; i < MR; ++i) {
                TL_UNROLL for (int v = 0; v < NV; ++v) {
                    T* cp = c + i * rs_c + v * W;
                    S::store(cp, S::fma(va, acc[i][v], S::mul(vb, S::load(cp))));
                }
            }
        }
        return;
    }
    const auto vb = S::set1(beta);
    if (cs_c == 1) {  // edge tile: rows < mr, whole vectors and a last part of nr % W lanes
        TL_UNROLL for (int i = 0; i < MR; ++i) {
            if (i >= mr) break;
            TL_UNROLL for (int v = 0; v < NV; ++v) {
                const int64_t lanes = nr - v * W;
                if (lanes <= 0) break;
                T* cp = c + i * rs_c + v * W;
                const auto alpha_acc = S::mul(va, acc[i][v]);
                if (lanes >= W) {
                    S::store(cp, beta == T(0) ? alpha_acc : S::fma(va, acc[i][v], S::mul(vb, S::load(cp))));
                } else {
                    S::store_part(
                        cp,
                        beta == T(0) ? alpha_acc : S::fma(va, acc[i][v], S::mul(vb, S::load_part(cp, lanes))),
                        lanes);
                }
            }
        }
        return;
    }
    // Transposed tile: the mr x nr part of C goes through a local buffer (with beta != 0, in and out), where
    // whole vectors compute each value as above.
    alignas(64) T buf[MR * NR];
    if (beta != T(0)) {
        for (int64_t i = 0; i < MR; ++i) {
            for (int64_t j = 0; j < NR; ++j) buf[i * NR + j] = i < mr && j < nr ? c[i * rs_c + j * cs_c] : T(0);
        }
    }
    TL_UNROLL for (int i = 0; i < MR; ++i) {
        TL_UNROLL for (int v = 0; v < NV; ++v) {
            T* bp = buf + i * NR + v * W;
            S::store(bp, beta == T(0) ? S::mul(va, acc[i][v]) : S::fma(va, acc[i][v], S::mul(vb, S::load(bp))));
        }
    }
    for (int64_t i = 0; i < mr; ++i) {
        T* crow = c + i * rs_c;
        const T* brow = buf + i * NR;
        if (cs_c == 1) {
            for (int64_t j = 0; j < nr; ++j) crow[j] = brow[j];
        } else {
            for (int64_t j = 0; j < nr; ++j) crow[j * cs_c] = brow[j];
        }
    }
}

// Depth from which a tile prefetches its rows of C as it starts (always when C is stored transposed, a
// line per value). A shorter tile's stores follow too soon for the prefetch to help, and the prefetches
// cost issue slots (measured, 1 thread, against prefetching always: 128x10 @ 10x100^T +4%, 128x100 @ 100x10
// +2%, deeper products even).
constexpr int64_t kPrefetchCMinDepth = 128;

// How a microkernel reads its operands. kPacked: packed A and B micro-panels. kStridedA: A in place (row i
// at a + i*rs_a, step cs_a along k), packed B. kGatheredB: packed A, and row p of B is the NR consecutive
// values at b + offsets[p] (B gathered in place, e.g. shifted rows of an image for a direct convolution).
enum class Operands { kPacked, kStridedA, kGatheredB };

// Register tile of RM rows x RV vectors, reading A panels of stride AS per k step and B panels of stride
// BS per k step (a packed micro-panel: AS = MR, BS = NR). A tall tile (AS < RM <= 2 AS) reads rows AS..
// from the next packed A micro-panel, k steps further on.
// Rows >= mr of A are never read in kStridedA mode (they alias row 0). Always inlined, so that a loop over
// tiles (column_packed, column_strided_a) holds the whole tile rather than a call per tile.
template <class S, int RM, int RV, Operands kMode, int AS, int BS>
TL_ALWAYS_INLINE void tile_part(int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a,
                                int64_t cs_a, const typename S::T* TL_RESTRICT b, const int64_t* offsets,
                                typename S::T beta, typename S::T* c, int64_t rs_c, int64_t cs_c, int64_t mr,
                                int64_t nr) {
    using T = typename S::T;
    constexpr int W = S::W;
    if (cs_c != 1 || k >= kPrefetchCMinDepth) {
        TL_UNROLL for (int i = 0; i < RM; ++i) {
            TL_PREFETCH(c + i * rs_c);
            TL_PREFETCH(c + i * rs_c + (RV * W - 1) * cs_c);
        }
    }
    typename S::V acc[RM][RV];
    TL_UNROLL for (int i = 0; i < RM; ++i) {
        TL_UNROLL for (int v = 0; v < RV; ++v) acc[i][v] = S::zero();
    }
    if (kMode == Operands::kPacked) {
        static_assert(RM <= 2 * AS, "a tile spans at most two A micro-panels");
        const T* a_next = RM > AS ? a + AS * k : a;  // the next micro-panel (tall tiles only)
#pragma GCC unroll 4
        for (int64_t p = 0; p < k; ++p) {
            typename S::V bv[RV];
            TL_UNROLL for (int v = 0; v < RV; ++v) bv[v] = S::load(b + v * W);
            TL_UNROLL for (int i = 0; i < RM; ++i) {
                const auto ai = S::set1(i < AS ? a[i] : a_next[i - AS]);
                TL_UNROLL for (int v = 0; v < RV; ++v) acc[i][v] = S::fma(ai, bv[v], acc[i][v]);
            }
            a += AS;
            a_next += AS;
            b += BS;
        }
    } else if (kMode == Operands::kGatheredB) {
#pragma GCC unroll 4
        for (int64_t p = 0; p < k; ++p) {
            const T* row = b + offsets[p];
            typename S::V bv[RV];
            TL_UNROLL for (int v = 0; v < RV; ++v) bv[v] = S::load(row + v * W);
            TL_UNROLL for (int i = 0; i < RM; ++i) {
                const auto ai = S::set1(a[i]);
                TL_UNROLL for (int v = 0; v < RV; ++v) acc[i][v] = S::fma(ai, bv[v], acc[i][v]);
            }
            a += AS;
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
    store_tile<S, RM, RV>(acc, alpha, beta, c, rs_c, cs_c, mr, nr);
}

// Runs the smallest of the full, half-height and half-width tiles that covers mr x nr, so an edge
// tile costs about its own size rather than a full MR x NR tile.
template <class S, int MR, int NV, Operands kMode>
inline void tile_dispatch(int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a, int64_t cs_a,
                          const typename S::T* b, const int64_t* offsets, typename S::T beta, typename S::T* c,
                          int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr) {
    constexpr int MH = (MR + 1) / 2, NH = (NV + 1) / 2, NR = NV * S::W;
    const bool half_rows = mr <= MH, half_cols = NV > 1 && nr <= NH * S::W;
    if (half_rows && half_cols)
        tile_part<S, MH, NH, kMode, MR, NR>(k, alpha, a, rs_a, cs_a, b, offsets, beta, c, rs_c, cs_c, mr, nr);
    else if (half_rows)
        tile_part<S, MH, NV, kMode, MR, NR>(k, alpha, a, rs_a, cs_a, b, offsets, beta, c, rs_c, cs_c, mr, nr);
    else if (half_cols)
        tile_part<S, MR, NH, kMode, MR, NR>(k, alpha, a, rs_a, cs_a, b, offsets, beta, c, rs_c, cs_c, mr, nr);
    else
        tile_part<S, MR, NV, kMode, MR, NR>(k, alpha, a, rs_a, cs_a, b, offsets, beta, c, rs_c, cs_c, mr, nr);
}

// The tall tile for a B micro-panel at most half full (nr <= NH*W): 2*MR rows of A (mr > MR) against its
// first NH vectors of columns. A half-width tile alone has half the full tile's independent sums, too few to
// hide the FMA latency, and as many broadcasts of A as FMAs; the tall one has the full tile's count of sums.
template <class S, int MR, int NV, Operands kMode>
inline void tile_tall(int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a, int64_t cs_a,
                      const typename S::T* b, typename S::T beta, typename S::T* c, int64_t rs_c, int64_t cs_c,
                      int64_t mr, int64_t nr) {
    constexpr int NH = (NV + 1) / 2, NR = NV * S::W;
    tile_part<S, 2 * MR, NH, kMode, MR, NR>(k, alpha, a, rs_a, cs_a, b, nullptr, beta, c, rs_c, cs_c, mr, nr);
}

// The IR loop in one call: C[0:mc, 0:nr] from mc rows of A (kPacked: consecutive MR-row micro-panels;
// kStridedA: in place), MR rows at a time, or 2*MR on tall tiles when the B micro-panel is at most half
// full (tile_tall). The prefetch_bytes at `prefetch` (the next B micro-panel, or none) are brought into L2
// on the way, an even share of cache lines before each tile.
template <class S, int MR, int NV, Operands kMode>
inline void tile_column(int64_t mc, int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a,
                        int64_t cs_a, const typename S::T* b, typename S::T beta, typename S::T* c,
                        int64_t rs_c, int64_t cs_c, int64_t nr, const char* prefetch,
                        int64_t prefetch_bytes) {
    const bool tall = NV > 1 && nr <= (NV + 1) / 2 * S::W;
    const int64_t tiles = mc > MR ? (mc + MR - 1) / MR : 1;  // mc may be 0 (all rows on the axpy tail)
    const int64_t lines_per_tile = (prefetch_bytes / 64 + tiles - 1) / tiles;
    int64_t prefetched = 0;
    for (int64_t ir = 0, rows; ir < mc; ir += rows) {
        for (int64_t line = 0; line < lines_per_tile && prefetched < prefetch_bytes; ++line, prefetched += 64)
            TL_PREFETCH_L2(prefetch + prefetched);
        const int64_t left = mc - ir;
        const typename S::T* a_rows = kMode == Operands::kPacked ? a + ir * k : a + ir * rs_a;
        if (tall && left > MR) {
            rows = left < 2 * MR ? left : 2 * MR;
            tile_tall<S, MR, NV, kMode>(k, alpha, a_rows, rs_a, cs_a, b, beta, c + ir * rs_c, rs_c, cs_c,
                                        rows, nr);
        } else {
            rows = left < MR ? left : MR;
            tile_dispatch<S, MR, NV, kMode>(k, alpha, a_rows, rs_a, cs_a, b, nullptr, beta, c + ir * rs_c,
                                            rs_c, cs_c, rows, nr);
        }
    }
}

// tile_column on packed A.
template <class S, int MR, int NV>
void column_packed(int64_t mc, int64_t k, typename S::T alpha, const typename S::T* a, const typename S::T* b,
                   typename S::T beta, typename S::T* c, int64_t rs_c, int64_t cs_c, int64_t nr,
                   const char* prefetch, int64_t prefetch_bytes) {
    tile_column<S, MR, NV, Operands::kPacked>(mc, k, alpha, a, 0, 0, b, beta, c, rs_c, cs_c, nr, prefetch,
                                              prefetch_bytes);
}

// tile_column on A in place.
template <class S, int MR, int NV>
void column_strided_a(int64_t mc, int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a,
                      int64_t cs_a, const typename S::T* b, typename S::T beta, typename S::T* c,
                      int64_t rs_c, int64_t cs_c, int64_t nr, const char* prefetch, int64_t prefetch_bytes) {
    tile_column<S, MR, NV, Operands::kStridedA>(mc, k, alpha, a, rs_a, cs_a, b, beta, c, rs_c, cs_c, nr,
                                                prefetch, prefetch_bytes);
}

// Microkernel on a packed A micro-panel and B gathered in place: B(p, j) = b[offsets[p] + j]. Reads the
// full NR values of each row even when nr < NR (only nr columns reach C).
template <class S, int MR, int NV>
void tile_gathered_b(int64_t k, typename S::T alpha, const typename S::T* a, const typename S::T* b,
                     const int64_t* offsets, typename S::T beta, typename S::T* c, int64_t rs_c, int64_t cs_c,
                     int64_t mr, int64_t nr) {
    tile_dispatch<S, MR, NV, Operands::kGatheredB>(k, alpha, a, 0, 0, b, offsets, beta, c, rs_c, cs_c, mr, nr);
}

// C[0:mr, 0:nr] := beta*C + alpha*A*B for a narrow B (nr <= kDotTailCols) as dot products along k: A's row i
// at a + i*rs_a, contiguous along k; B's column j at bt + j*k (pack_b_dot_tail). Vectors run along k, so
// every lane does useful work, where a register tile would broadcast a value of A for a few columns of B.
// Three rows at a time: 12 independent sums (measured, 1 thread, against two rows: 128x784 @ 784x4 +16%,
// 256x300 @ 300x20 +13%, 128x784 @ 784x100 +1%). Each sum adds k steps lane by lane (step p in lane p % W),
// then the lanes, then the last k % W steps in order; with k < W that is the register tile's order exactly.
template <class S>
void tile_dot_tail(int64_t k, typename S::T alpha, const typename S::T* a, int64_t rs_a, const typename S::T* bt,
                   typename S::T beta, typename S::T* c, int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr) {
    using T = typename S::T;
    constexpr int W = S::W, R = 3, NT = kDotTailCols;
    const int64_t k_vec = k / W * W;
    for (int64_t i0 = 0; i0 < mr; i0 += R) {
        const T* rows[R];
        TL_UNROLL for (int i = 0; i < R; ++i) rows[i] = a + (i0 + i < mr ? i0 + i : i0) * rs_a;
        typename S::V acc[R][NT];
        TL_UNROLL for (int i = 0; i < R; ++i) {
            TL_UNROLL for (int j = 0; j < NT; ++j) acc[i][j] = S::zero();
        }
        const int64_t next = i0 + 2 * R <= mr ? R * rs_a : 0;  // the next rows, prefetched from L2 on the way
        for (int64_t p = 0; p < k_vec; p += W) {
            typename S::V av[R];
            TL_UNROLL for (int i = 0; i < R; ++i) {
                TL_PREFETCH_READ(rows[i] + next + p + 64);
                av[i] = S::load(rows[i] + p);
            }
            TL_UNROLL for (int j = 0; j < NT; ++j) {
                const auto bv = S::load(bt + j * k + p);
                TL_UNROLL for (int i = 0; i < R; ++i) acc[i][j] = S::fma(av[i], bv, acc[i][j]);
            }
        }
        for (int64_t i = 0; i < R && i0 + i < mr; ++i) {
            for (int64_t j = 0; j < nr; ++j) {
                T sum = S::reduce(acc[i][j]);
                for (int64_t p = k_vec; p < k; ++p) sum = S::fma1(rows[i][p], bt[j * k + p], sum);
                store_scaled<S>(sum, alpha, beta, c + (i0 + i) * rs_c + j * cs_c);
            }
        }
    }
}

// Rows of op(A) that tile_axpy_tail takes at once: three vectors.
template <class S>
constexpr int axpy_tail_height() {
    return 3 * S::W;
}

// C[0:R, 0:nr] := beta*C + alpha*op(A)*B for a narrow B (nr <= kDotTailCols) with A stored transposed:
// op(A)(i, p) = a[i + p*cs_a], R = axpy_tail_height rows, vectors along them; B a packed micro-panel (row p at
// b + p*NR). Each k step adds op(A)'s column times a broadcast value of B per column: all lanes useful
// (a register tile would broadcast A for a few columns of B). Each sum runs over k in order, as in a tile.
template <class S, int NR>
void tile_axpy_tail(int64_t k, typename S::T alpha, const typename S::T* a, int64_t cs_a, const typename S::T* b,
                    typename S::T beta, typename S::T* c, int64_t rs_c, int64_t cs_c, int64_t nr) {
    using T = typename S::T;
    constexpr int W = S::W, RV = axpy_tail_height<S>() / W, NT = kDotTailCols;
    typename S::V acc[RV][NT];
    TL_UNROLL for (int v = 0; v < RV; ++v) {
        TL_UNROLL for (int j = 0; j < NT; ++j) acc[v][j] = S::zero();
    }
    for (int64_t p = 0; p < k; ++p) {
        typename S::V av[RV];
        TL_UNROLL for (int v = 0; v < RV; ++v) av[v] = S::load(a + p * cs_a + v * W);
        TL_UNROLL for (int j = 0; j < NT; ++j) {
            const auto bj = S::set1(b[p * NR + j]);
            TL_UNROLL for (int v = 0; v < RV; ++v) acc[v][j] = S::fma(av[v], bj, acc[v][j]);
        }
    }
    alignas(64) T cols[NT][RV * W];
    TL_UNROLL for (int j = 0; j < NT; ++j) {
        TL_UNROLL for (int v = 0; v < RV; ++v) S::store(cols[j] + v * W, acc[v][j]);
    }
    for (int64_t i = 0; i < RV * W; ++i) {
        for (int64_t j = 0; j < nr; ++j) store_scaled<S>(cols[j][i], alpha, beta, c + i * rs_c + j * cs_c);
    }
}

// Packs op(B)[0:kc, 0:nr] (nr <= kDotTailCols) for tile_dot_tail: column j at dst + j*kc, contiguous along
// k; columns nr.. are zero.
template <class S>
void pack_b_dot_tail(int64_t kc, int64_t nr, const typename S::T* b, int64_t rs_b, int64_t cs_b,
                     typename S::T* dst) {
    using T = typename S::T;
    for (int64_t j = 0; j < kDotTailCols; ++j) {
        T* col = dst + j * kc;
        if (j < nr) {
            for (int64_t p = 0; p < kc; ++p) col[p] = b[p * rs_b + j * cs_b];
        } else {
            for (int64_t p = 0; p < kc; ++p) col[p] = T(0);
        }
    }
}

// Packs op(A)[0:mc, 0:kc] into MR-row micro-panels, zero padding the last one.
template <class S, int MR>
void pack_a(int64_t mc, int64_t kc, const typename S::T* a, int64_t rs_a, int64_t cs_a, typename S::T* dst) {
    using T = typename S::T;
    for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
        const int64_t mr = mc - i0 < MR ? mc - i0 : MR;
        const T* src = a + i0 * rs_a;
        // The vector paths below spill past a panel's MR values only into the next k step's slot, so they
        // need MR >= half the vector width rounded up to whole vectors (a 4-row tile of 16 floats does not).
        constexpr int NV = (MR + S::W - 1) / S::W;
        constexpr bool kVectorCopy = NV * S::W <= 2 * MR;
        if (kVectorCopy && mr == MR && rs_a == 1) {  // A transposed in memory: MR contiguous values per k step
            int64_t p = 0;
            if (MR % S::W != 0 && cs_a + MR >= NV * S::W) {
                // Whole vectors that run past the MR values: the extra lanes land in the next k step's
                // slot, which the next store overwrites (the last step is copied exactly, below); the
                // extra values read lie before the next k step's last value (cs_a + MR >= NV * W).
                for (; p + 1 < kc; ++p) {
                    TL_UNROLL for (int v = 0; v < NV; ++v) S::store(dst + p * MR + v * S::W, S::load(src + p * cs_a + v * S::W));
                }
            }
            for (; p < kc; ++p) {
                TL_UNROLL for (int i = 0; i < MR; ++i) dst[p * MR + i] = src[p * cs_a + i];
            }
        } else if (kVectorCopy && mr == MR && cs_a == 1) {  // rows contiguous along k: W x W blocks transposed
            constexpr int W = S::W, G = NV;                       // W-row groups
            int64_t p = 0;
            for (; p + W <= kc; p += W) {
                typename S::V block[G][W];
                TL_UNROLL for (int g = 0; g < G; ++g) {
                    TL_UNROLL for (int q = 0; q < W; ++q) {
                        block[g][q] = g * W + q < MR ? S::load(src + (g * W + q) * rs_a + p) : S::zero();
                    }
                    S::transpose(block[g]);
                }
                // Step p + q's MR values are the first lanes of block[0..G)[q]. Whole vectors go out in
                // increasing address order, so lanes past MR spill into step p + q + 1's slot and that
                // step's own stores overwrite them; the panel's last step is stored exactly.
                TL_UNROLL for (int q = 0; q < W; ++q) {
                    TL_UNROLL for (int g = 0; g < G; ++g) {
                        T* out = dst + (p + q) * MR + g * W;
                        if (g * W + W <= MR || p + q + 1 < kc) {
                            S::store(out, block[g][q]);
                        } else {
                            alignas(64) T lanes[W];
                            S::store(lanes, block[g][q]);
                            for (int i = 0; i < MR - g * W; ++i) out[i] = lanes[i];
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

// Packs the first `nr` (< NR) columns of kc contiguous rows of B into one zero-padded NR-column micro-panel,
// with the width a compile-time constant (NRR, tried from NR - 1 down) so that each row's copy and padding
// compile to a few whole-vector moves rather than a loop per element.
template <typename T, int NR, int NRR>
inline void pack_b_rows_partial(int64_t kc, int64_t nr, const T* src, int64_t rs_b, T* dst) {
    if (NRR > 1 && nr < NRR) {
        pack_b_rows_partial<T, NR, (NRR > 1 ? NRR - 1 : 1)>(kc, nr, src, rs_b, dst);
        return;
    }
    for (int64_t p = 0; p < kc; ++p) {
        TL_UNROLL for (int j = 0; j < NRR; ++j) dst[p * NR + j] = src[p * rs_b + j];
        TL_UNROLL for (int j = NRR; j < NR; ++j) dst[p * NR + j] = T(0);
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
        } else if (rs_b == 1 && (nr == NR || cs_b != 1)) {
            // B transposed in memory: columns contiguous along k. A partial micro-panel (e.g. dY^T with 16
            // columns in a convolution's dW) takes zeros for its missing columns: element by element, its
            // strided reads cost more than the product (measured AVX-512 12x32, 1 thread: 27x1024 @
            // (16x1024)^T 29 -> 15 us, 25x576 @ (6x576)^T 22 -> 7 us).
            constexpr int W = S::W;
            int64_t p = 0;
            for (; p + W <= kc; p += W) {  // W x W blocks: W columns in, transposed in registers, W rows out
                TL_UNROLL for (int g = 0; g < NR / W; ++g) {
                    typename S::V block[W];
                    TL_UNROLL for (int q = 0; q < W; ++q) {
                        block[q] = g * W + q < nr ? S::load(src + (g * W + q) * cs_b + p) : S::zero();
                    }
                    S::transpose(block);
                    TL_UNROLL for (int q = 0; q < W; ++q) S::store(dst + (p + q) * NR + g * W, block[q]);
                }
            }
            for (; p < kc; ++p) {
                for (int64_t j = 0; j < NR; ++j) dst[p * NR + j] = j < nr ? src[j * cs_b + p] : T(0);
            }
        } else if (cs_b == 1) {  // the last, partial micro-panel of row-major B
            pack_b_rows_partial<T, NR, NR - 1>(kc, nr, src, rs_b, dst);
        } else {
            for (int64_t p = 0; p < kc; ++p) {
                for (int64_t j = 0; j < NR; ++j) dst[p * NR + j] = j < nr ? src[p * rs_b + j * cs_b] : T(0);
            }
        }
    }
}

// out[i] = sum_p mat[i*ld + p] * x[p] for R rows at once (R rows share each load of x). Each row's
// summation order is the same whatever R, so results do not depend on how rows are grouped.
template <class S, int R>
inline void dot_rows_part(int64_t k, const typename S::T* mat, int64_t ld, const typename S::T* x,
                          typename S::T* out) {
    using T = typename S::T;
    constexpr int W = S::W;
    typename S::V even[R], odd[R];
    TL_UNROLL for (int r = 0; r < R; ++r) even[r] = odd[r] = S::zero();
    int64_t p = 0;
    for (; p + 2 * W <= k; p += 2 * W) {
        const auto x0 = S::load(x + p), x1 = S::load(x + p + W);
        TL_UNROLL for (int r = 0; r < R; ++r) {
            even[r] = S::fma(S::load(mat + r * ld + p), x0, even[r]);
            odd[r] = S::fma(S::load(mat + r * ld + p + W), x1, odd[r]);
        }
    }
    TL_UNROLL for (int r = 0; r < R; ++r) {
        T sum = S::reduce(S::add(even[r], odd[r]));
        for (int64_t q = p; q < k; ++q) sum += mat[r * ld + q] * x[q];
        out[r] = sum;
    }
}

// out[i] = sum_p mat[i*ld + p] * x[p] for i < rows (x contiguous).
template <class S>
void dot_rows(int64_t rows, int64_t k, const typename S::T* mat, int64_t ld, const typename S::T* x,
              typename S::T* out) {
    int64_t i = 0;
    for (; i + 4 <= rows; i += 4) dot_rows_part<S, 4>(k, mat + i * ld, ld, x, out + i);
    for (; i < rows; ++i) dot_rows_part<S, 1>(k, mat + i * ld, ld, x, out + i);
}

// acc[j] += sum_p x[p*incx] * mat[p*ld + j] for j < n, four rows of mat per pass over acc.
template <class S>
void axpy_rows(int64_t n, int64_t k, const typename S::T* mat, int64_t ld, const typename S::T* x,
               int64_t incx, typename S::T* TL_RESTRICT acc) {
    using T = typename S::T;
    constexpr int W = S::W;
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        const T s0 = x[p * incx], s1 = x[(p + 1) * incx], s2 = x[(p + 2) * incx], s3 = x[(p + 3) * incx];
        const auto v0 = S::set1(s0), v1 = S::set1(s1), v2 = S::set1(s2), v3 = S::set1(s3);
        const T *m0 = mat + p * ld, *m1 = m0 + ld, *m2 = m1 + ld, *m3 = m2 + ld;
        int64_t j = 0;
        for (; j + W <= n; j += W) {
            auto sum = S::fma(v0, S::load(m0 + j), S::load(acc + j));
            sum = S::fma(v1, S::load(m1 + j), sum);
            sum = S::fma(v2, S::load(m2 + j), sum);
            S::store(acc + j, S::fma(v3, S::load(m3 + j), sum));
        }
        for (; j < n; ++j) acc[j] = (((acc[j] + s0 * m0[j]) + s1 * m1[j]) + s2 * m2[j]) + s3 * m3[j];
    }
    for (; p < k; ++p) {
        const T s = x[p * incx];
        const auto v = S::set1(s);
        const T* m = mat + p * ld;
        int64_t j = 0;
        for (; j + W <= n; j += W) S::store(acc + j, S::fma(v, S::load(m + j), S::load(acc + j)));
        for (; j < n; ++j) acc[j] += s * m[j];
    }
}

// The kernel table for one scalar type: MR x (NV * S::W) microkernels and MC/KC/NC cache blocks.
template <class S, int MR, int NV, int MC, int KC, int NC>
constexpr Kernels<typename S::T> make_kernels() {
    static_assert(MC % MR == 0 && NC % (NV * S::W) == 0, "cache blocks must be multiples of the tile");
    return {MR,
            NV * S::W,
            axpy_tail_height<S>() % MR == 0 ? axpy_tail_height<S>() : 0,
            MC,
            KC,
            NC,
            &pack_a<S, MR>,
            &pack_b<S, NV * S::W>,
            &column_packed<S, MR, NV>,
            &column_strided_a<S, MR, NV>,
            &tile_gathered_b<S, MR, NV>,
            &tile_dot_tail<S>,
            &pack_b_dot_tail<S>,
            &tile_axpy_tail<S, NV * S::W>,
            &dot_rows<S>,
            &axpy_rows<S>};
}

}  // namespace gemm_impl
}  // namespace tl
