// The plan of one blocked GEMM product, decided once before any thread starts (gemm_plan.cpp) and read by
// the driver's loops (gemm_driver.cpp): the cache blocks cut to this product, the modes (which operand is
// packed, which narrow-panel kernels run, whether B is packed once for all threads) and how the threads
// share the work. Internal to the GEMM units.
#pragma once
#include <algorithm>
#include <cstdint>

#include "kernels/gemm_isa.h"
#include "kernels/parallel.h"

namespace tl {
namespace gemm_impl {


// A block size <= max_block, a multiple of `multiple`, that cuts `total` into equal blocks (so the
// last block is never a sliver that costs a full pass over C).
inline int64_t even_block(int64_t total, int64_t max_block, int64_t multiple) {
    const int64_t blocks = ceil_div(total, max_block);
    return std::min(max_block, ceil_div(ceil_div(total, blocks), multiple) * multiple);
}

// Operands as strides: op(A)(i, p) = a[i*rs_a + p*cs_a], op(B)(p, j) = b[p*rs_b + j*cs_b],
// C(i, j) = c[i*ldc + j*cs_c] (cs_c == 1 but for a C computed transposed).
template <typename T>
struct Problem {
    int64_t m, n, k;
    T alpha;
    const T* a;
    int64_t rs_a, cs_a;
    const T* b;
    int64_t rs_b, cs_b;
    T beta;
    T* c;
    int64_t ldc, cs_c;
};

// Depth up to which a product whose A is read in place takes all of k in one slice, rather than kc-deep
// ones: each tile then sums the whole depth at once, and C is loaded and stored once (measured with the
// AVX2 kernels against their kc, float32 392 / float64 256: 128x784 @ 784x100 +2.1% on 1 thread, +3.0% on
// 2, float64 +4.6%; 576x1024 @ 1024x64 +3.7% on 1, +4.8% on 2, float64 +5.8% on 2; AVX-512, 1 thread, on a
// shared machine: 128x784 @ 784x100 +6.7%, 128x784 @ 784x4 1.67x).
// Deeper products keep kc (one slice of 4096 was +2% in float32 but -1.6% in float64 on 256x4096 @
// 4096x200).
constexpr int64_t kInPlaceAMaxDepth = 1024;

// How the threads of one product share it. kRows: each takes row blocks of C from a shared counter, large
// ones first and ever smaller ones towards the end (a thread that starts late, or is delayed by another
// process, is covered by the others, and the threads finish within a small block of each other). kColumns:
// each takes a contiguous share of the B micro-panels (and packs only those).
enum class Split { kNone, kRows, kColumns };

struct GemmPlan {
    // Thread split: the team size and how its threads share the product.
    int nthreads;
    Split split;
    // Block sizes: the register tile, and the cache blocks cut evenly to this product (mc rows of A in L2,
    // kc deep, nc columns of B in L3).
    int64_t mr, nr, mc, kc, nc;
    int64_t m_panels;       // MR-row panels of C
    int64_t ic_blocks, pc_blocks, jc_blocks;  // trip counts of the IC, PC and JC loops
    int64_t panels_per_jc;  // NR-column micro-panels in a full JC panel
    int64_t panel_size;     // elements of a packed JC panel of B, all pc_blocks slices (slice pb at pb*kc*nc)
    // Modes.
    bool pack_a;      // A packed into MR-row micro-panels (else the kernels read it in place)
    bool b_in_place;  // whole B micro-panels read in place by the gathered-B kernel (A packed, few rows)
    bool shared_b;    // B packed once, micro-panel by micro-panel, for all threads splitting rows
    bool prefetch_b;  // the IR loop prefetches the next B micro-panel into L2 (the packed panel is in L3)
    bool dot_tail;    // a last micro-panel of <= kDotTailCols columns as dot products along k (A in place)
    bool axpy_tail;   // the same micro-panel as axpy updates down the rows of C (A stored transposed)

    // The micro-panel of the JC panel at column jc (nc wide) that takes the dot-form tail: the last one
    // of the product's last JC panel when the plan has that tail, else -1 (none).
    int64_t dot_panel(int64_t jc, int64_t nc, int64_t n) const {
        return dot_tail && jc + nc == n ? nc / nr : int64_t(-1);
    }
};

// The plan for `pr` on the kernels `kr` with `nthreads` threads (m, n, k > 0).
template <typename T>
GemmPlan plan_gemm(const Kernels<T>& kr, int nthreads, const Problem<T>& pr);

}  // namespace gemm_impl
}  // namespace tl
