// Plans a blocked GEMM product (gemm_plan.h): every decision the driver's loops need, taken once from the
// shape, the strides, the kernels and the thread count, with the measurement behind each threshold.
#include "kernels/gemm_plan.h"

#include <algorithm>

namespace tl {
namespace gemm_impl {
namespace {

// Packing A pays when each packed A block is reused by many B micro-panels (measured: from about 16),
// or when A is stored transposed (reading it in place would touch one cache line per k step and row
// panel). Otherwise the microkernel reads A's rows in place.
bool should_pack_a(int64_t n, int64_t rs_a, int64_t nr) { return rs_a == 1 || n > 16 * nr; }

// Depth from which the dot-form tail beats the tall tile (measured, 1 thread, against the tall tile:
// k = 16: 0.94x, 32: 0.97x, 64: 0.99x, 128: 1.01x; 128x784 @ 784x100: 1.02x, 128x784 @ 784x4: 1.22x);
// the axpy-form tail uses the same threshold (784x128^T @ 128x100: 1.03x, 1000x256^T @ 256x20: 1.08x).
// AVX-512, 1 thread, against the tall tile on a shared machine: dot-form 128x784 @ 784x100 1.11x,
// 128x784 @ 784x4 2.4x; axpy-form 784x128^T @ 128x100 1.11x.
constexpr int64_t kDotTailMinDepth = 128;

// A packed B panel (all its kc-deep slices) bigger than this does not stay in L2, so its micro-panels come
// from L3: the IR loop then prefetches the next micro-panel into L2 while it sweeps the current one, an
// even share per tile. Measured in one process against no prefetch: 2048^3 +3.5-5% (1 thread), +6% (2);
// 1024^3 +4.4% (1), +3% (2); 512^3, a 1 MiB panel, even. Where the panel fits in L2 it costs: 3-7% at 2
// threads on 128x784 @ 784x100 and 576x1024 @ 1024x64.
constexpr int64_t kPrefetchBPanelBytes = int64_t(1) << 20;

// Row panels of C up to which B is read in place rather than packed, when A is packed and B's rows are
// contiguous (measured, 1 thread, A stored transposed, against packing B: 100x128^T @ 128x10, computed as
// C^T with 2 row panels, +19%; 12x500^T @ 500x300 +31%; 24 rows (4 panels) +4-9%; 48 rows even).
constexpr int64_t kInPlaceBMaxRowPanels = 4;

// Packed B shared by the threads of one product up to this size (all its JC panels at once, in the calling
// thread's buffer, which keeps its size for later products); beyond it each thread packs the panels it
// uses on its own. 2048 x 2048 float32 needs 17 MiB.
constexpr int64_t kSharedPackedBBytes = int64_t(32) << 20;

// Rows when there are enough row panels and B is not the bigger operand to pack; columns when C is
// short (few row panels) or wide with enough micro-panels to balance (each thread then packs only its
// part of B and all of the smaller A).
Split choose_split(int nthreads, int64_t m, int64_t n, int64_t m_panels, int64_t n_panels) {
    if (nthreads <= 1) return Split::kNone;
    if (m_panels < 2 * nthreads) return Split::kColumns;
    if (n > m && n_panels >= 4 * nthreads) return Split::kColumns;
    return Split::kRows;
}

}  // namespace

template <typename T>
GemmPlan plan_gemm(const Kernels<T>& kr, int nthreads, const Problem<T>& pr) {
    const int64_t m = pr.m, n = pr.n, k = pr.k, MR = kr.mr, NR = kr.nr;
    GemmPlan plan{};
    plan.nthreads = nthreads;
    plan.mr = MR;
    plan.nr = NR;
    plan.pack_a = should_pack_a(n, pr.rs_a, NR);
    plan.kc = even_block(k, !plan.pack_a && k <= kInPlaceAMaxDepth ? kInPlaceAMaxDepth : kr.kc, 4);
    plan.pc_blocks = ceil_div(k, plan.kc);
    // A JC panel of packed B holds every kc-deep slice (so that PC can run inside IC, see gemm_driver.cpp),
    // at most KC x NC elements: deep products get narrower JC panels.
    const int64_t nc_limit = std::max(NR, int64_t(kr.kc) * kr.nc / (plan.pc_blocks * plan.kc) / NR * NR);
    plan.nc = even_block(n, std::min<int64_t>(kr.nc, nc_limit), NR);
    plan.m_panels = ceil_div(m, MR);
    plan.split = choose_split(nthreads, m, n, plan.m_panels, ceil_div(n, NR));
    plan.mc = even_block(m, kr.mc, MR);
    plan.ic_blocks = ceil_div(m, plan.mc);
    plan.jc_blocks = ceil_div(n, plan.nc);
    plan.panels_per_jc = ceil_div(plan.nc, NR);
    plan.panel_size = plan.pc_blocks * plan.kc * plan.nc;
    const bool split_rows = plan.split == Split::kRows;
    plan.shared_b =
        split_rows && plan.jc_blocks * plan.panel_size * int64_t(sizeof(T)) <= kSharedPackedBBytes;
    // A last B micro-panel of at most kDotTailCols columns goes through the dot-form tail when A's rows are
    // read in place and contiguous along k, and the product is deep enough.
    plan.dot_tail = !plan.pack_a && pr.cs_a == 1 && n % NR != 0 && n % NR <= kDotTailCols &&
                    plan.kc >= kDotTailMinDepth;
    // Its mirror when A is stored transposed (packed in a pass of its own): vectors along the rows of C.
    plan.axpy_tail = plan.pack_a && pr.rs_a == 1 && kr.axpy_tail_rows > 0 && plan.kc >= kDotTailMinDepth;
    // B read in place when C has so few row panels that packing B would cost about as much as it saves.
    plan.b_in_place = plan.pack_a && pr.cs_b == 1 && plan.m_panels <= kInPlaceBMaxRowPanels && !split_rows;
    plan.prefetch_b = !plan.b_in_place && plan.panel_size * int64_t(sizeof(T)) > kPrefetchBPanelBytes;
    return plan;
}

template GemmPlan plan_gemm<float>(const Kernels<float>&, int, const Problem<float>&);
template GemmPlan plan_gemm<double>(const Kernels<double>&, int, const Problem<double>&);

}  // namespace gemm_impl
}  // namespace tl
