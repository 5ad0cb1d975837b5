// Internal interface between the GEMM driver (gemm.cpp) and the per-ISA kernel translation units
// (gemm_avx512.cpp, gemm_avx2.cpp, gemm_generic.cpp). Each ISA unit is compiled with its own flags and
// exports one table of function pointers; the driver picks a table at run time from CPUID.
//
// Layouts (row-major throughout):
//   op(A)(i, p) = a[i * rs_a + p * cs_a]   op(B)(p, j) = b[p * rs_b + j * cs_b]   C(i, j) = c[i * ldc + j]
//   packed A: MR-row micro-panels, panel r holds rows r*MR.. as pa[r*MR*kc + p*MR + i] (zero padded)
//   packed B: NR-column micro-panels, panel s holds columns s*NR.. as pb[s*NR*kc + p*NR + j] (zero padded)
#pragma once
#include <cstdint>

namespace tl {
namespace gemm_impl {

// Columns of the dot-form tail: a last B micro-panel this narrow, with A's rows contiguous along k and read in
// place, is computed as dot products along k rather than with a register tile (tile_dot_tail).
constexpr int kDotTailCols = 4;

template <typename T>
struct Kernels {
    int mr, nr;      // register tile of the microkernel
    int axpy_tail_rows;  // rows tile_axpy_tail takes, a multiple of mr (0: no axpy-form tail)
    // Cache blocks: A block mc x kc in L2, B micro-panel kc x nr in L1, B panel in L3 (all its kc slices of
    // nc columns, at most kc * nc elements: gemm_plan.cpp narrows nc for deeper products).
    int mc, kc, nc;

    // Packs the mc x kc block of op(A) at `a` into MR-row micro-panels.
    void (*pack_a)(int64_t mc, int64_t kc, const T* a, int64_t rs_a, int64_t cs_a, T* dst);
    // Packs the kc x nc block of op(B) at `b` into NR-column micro-panels.
    void (*pack_b)(int64_t kc, int64_t nc, const T* b, int64_t rs_b, int64_t cs_b, T* dst);
    // The microkernel down a column of tiles (the IR loop in one call): C[0:mc, 0:nr] := beta * C +
    // alpha * A * B_panel over depth k, where C(i, j) = c[i*rs_c + j*cs_c] (cs_c == 1 unless C is stored
    // transposed), B_panel a packed micro-panel, nr <= NR; when beta == 0, C is overwritten and never read.
    // MR x NR tiles, or 2*MR rows on tall tiles when nr is at most half of NR. column_packed reads A as
    // consecutive packed MR-row micro-panels, column_strided_a in place through its strides. Before each tile
    // it prefetches an even share of the prefetch_bytes at `prefetch` into L2 (the next B micro-panel, or
    // none).
    void (*column_packed)(int64_t mc, int64_t k, T alpha, const T* a, const T* b, T beta, T* c, int64_t rs_c,
                          int64_t cs_c, int64_t nr, const char* prefetch, int64_t prefetch_bytes);
    void (*column_strided_a)(int64_t mc, int64_t k, T alpha, const T* a, int64_t rs_a, int64_t cs_a,
                             const T* b, T beta, T* c, int64_t rs_c, int64_t cs_c, int64_t nr,
                             const char* prefetch, int64_t prefetch_bytes);
    // One tile, C[0:mr, 0:nr] with mr <= MR, under the same contract, on a packed A micro-panel and B
    // gathered in place: B(p, j) = b[offsets[p] + j]; reads NR values per row whatever nr is.
    void (*tile_gathered_b)(int64_t k, T alpha, const T* a, const T* b, const int64_t* offsets, T beta, T* c,
                            int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr);
    // C[0:mr, 0:nr] := beta*C + alpha*A*B as dot products along k for nr <= kDotTailCols columns: A's row
    // i at a + i*rs_a, contiguous along k; B packed by pack_b_dot_tail (column j at bt + j*k).
    void (*tile_dot_tail)(int64_t k, T alpha, const T* a, int64_t rs_a, const T* bt, T beta, T* c, int64_t rs_c,
                          int64_t cs_c, int64_t mr, int64_t nr);
    // Packs op(B)[0:kc, 0:nr] for tile_dot_tail: column j at dst + j*kc, columns nr..kDotTailCols-1 zero.
    void (*pack_b_dot_tail)(int64_t kc, int64_t nr, const T* b, int64_t rs_b, int64_t cs_b, T* dst);
    // C[0:axpy_tail_rows, 0:nr] := beta*C + alpha*op(A)*B for nr <= kDotTailCols columns with A stored transposed
    // (op(A)(i, p) = a[i + p*cs_a]) and B a packed micro-panel: vectors along the rows of C.
    void (*tile_axpy_tail)(int64_t k, T alpha, const T* a, int64_t cs_a, const T* b, T beta, T* c, int64_t rs_c,
                           int64_t cs_c, int64_t nr);
    // GEMV with rows of the matrix contiguous: out[i] = sum_p mat[i*ld + p] * x[p], i < rows.
    void (*dot_rows)(int64_t rows, int64_t k, const T* mat, int64_t ld, const T* x, T* out);
    // GEMV with columns contiguous: acc[j] += sum_p x[p*incx] * mat[p*ld + j], j < n.
    void (*axpy_rows)(int64_t n, int64_t k, const T* mat, int64_t ld, const T* x, int64_t incx, T* acc);
};

struct Isa {
    const char* name;
    Kernels<float> f32;
    Kernels<double> f64;
};

// Each returns nullptr when its unit was compiled without the instruction set (non-x86 or other compilers).
const Isa* avx512_kernels();
const Isa* avx2_kernels();
const Isa* generic_kernels();

// The AVX-512 unit's further register-tile shapes (named "avx512-MRxNR" after their float32 tile), for
// products that waste most of the main 12x32 tile: `count` tables at `tables` (0 without AVX-512).
struct IsaTables {
    const Isa* tables;
    int count;
};
IsaTables avx512_tile_variants();

}  // namespace gemm_impl
}  // namespace tl
