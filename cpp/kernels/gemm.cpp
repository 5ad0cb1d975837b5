// GEMM driver: C := alpha * op(A) * op(B) + beta * C, row-major, float and double.
// The Goto/BLIS algorithm: five loops around a register-blocked microkernel (JC over L3-sized panels of
// B, PC over the depth, IC over L2-sized blocks of A, JR over L1-sized micro-panels of B, IR over
// MR x NR tiles of C), with A and B packed into contiguous, aligned, zero-padded micro-panels so the
// microkernel sees one layout whatever the transposes and strides. The microkernels, packing routines
// and GEMV primitives come from one per-ISA table (gemm_isa.h) chosen through cpu_features.h.
// Special paths: GEMV when m == 1 or n == 1; A read in place (no A packing) when it is reused too
// little to pay for packing; a narrow last micro-panel of B on tall tiles or, up to 4 columns, as dot
// products along k (A row-major) or axpy updates down the rows of C (A transposed); narrow C computed
// transposed; many small batched products run one per thread.
// Threads share row-block counters and the packed B, and wait only for a B micro-panel still being packed.
#include "kernels/gemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/gemm_isa.h"
#include "kernels/runtime.h"

#ifdef TENSORLITE_OPENMP
#include <omp.h>
#endif

namespace tl {
namespace {

using gemm_impl::Isa;
using gemm_impl::Kernels;

// ---------------------------------------------------------------- ISA selection

// The kernel tables, one per instruction set (cpu_features.h picks the one that runs).
IsaDispatch<Isa>& kernel_tables() {
    static IsaDispatch<Isa> tables("set_gemm_isa", {gemm_impl::generic_kernels(), gemm_impl::avx2_kernels(),
                                                    gemm_impl::avx512_kernels()});
    return tables;
}

template <typename T>
const Kernels<T>& active_kernels();
template <>
const Kernels<float>& active_kernels<float>() {
    return kernel_tables().table().f32;
}
template <>
const Kernels<double>& active_kernels<double>() {
    return kernel_tables().table().f64;
}

// ---------------------------------------------------------------- buffers and threads

// A 64-byte aligned scratch buffer that only grows: one per thread (thread_local), so packing buffers are
// reused across calls and never shared between concurrent GEMMs.
class ScratchBuffer {
public:
    ~ScratchBuffer() { release(); }
    template <typename T>
    T* get(int64_t count) {
        const size_t bytes = static_cast<size_t>(count) * sizeof(T);
        if (bytes > size_) {
            release();
            data_ = ::operator new(bytes, std::align_val_t(64));
            size_ = bytes;
        }
        return static_cast<T*>(data_);
    }

private:
    void release() {
        if (data_) ::operator delete(data_, std::align_val_t(64));
        data_ = nullptr;
        size_ = 0;
    }
    void* data_ = nullptr;
    size_t size_ = 0;
};

thread_local ScratchBuffer tls_pack_a;        // this thread's packed A block (mc x kc); GEMV: x copy
thread_local ScratchBuffer tls_pack_b;        // this thread's packed B micro-panels; GEMV: the sums

// Packed B shared by the threads of one product up to this size (all its JC panels at once, in the calling
// thread's buffer, which keeps its size for later products); beyond it each thread packs the panels it
// uses on its own. 2048 x 2048 float32 needs 17 MiB.
constexpr int64_t kSharedPackedBBytes = int64_t(32) << 20;

// Multiply-adds per thread below which another thread costs more than it brings.
constexpr int64_t kWorkPerThread = int64_t(1) << 17;

bool in_parallel_region() {
#ifdef TENSORLITE_OPENMP
    return omp_in_parallel();
#else
    return false;
#endif
}

int thread_index() {
#ifdef TENSORLITE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

int team_size() {
#ifdef TENSORLITE_OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

// Runs work(nt, tid) on nthreads threads; a single thread runs it inline, outside any OpenMP region
// (cheaper, and correct inside an enclosing parallel region).
template <typename F>
void run_team(int nthreads, F&& work) {
    if (nthreads <= 1) {
        work(1, 0);
        return;
    }
#pragma omp parallel num_threads(nthreads)
    work(team_size(), thread_index());
}

// Threads worth using for `work` multiply-adds (each thread gets more than kWorkPerThread, so two
// threads start above 2^18 as in OpenBLAS): 1 inside another parallel region.
int threads_for(double work) {
    if (in_parallel_region()) return 1;
    const double useful = std::max(1.0, std::ceil(work / static_cast<double>(kWorkPerThread)) - 1);
    return static_cast<int>(std::min<double>(get_num_threads(), useful));
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The [begin, end) share of `count` items for `part` of `parts` (contiguous, sizes differ by <= 1).
void split(int64_t count, int parts, int part, int64_t& begin, int64_t& end) {
    begin = count * part / parts;
    end = count * (part + 1) / parts;
}

// A block size <= max_block, a multiple of `multiple`, that cuts `total` into equal blocks (so the
// last block is never a sliver that costs a full pass over C).
int64_t even_block(int64_t total, int64_t max_block, int64_t multiple) {
    const int64_t blocks = ceil_div(total, max_block);
    return std::min(max_block, ceil_div(ceil_div(total, blocks), multiple) * multiple);
}

// C := beta * C (beta == 0 writes zeros, so NaN in C is ignored).
template <typename T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
    if (beta == T(1)) return;
    run_team(threads_for(double(m) * n / 4), [&](int nt, int tid) {
        int64_t r0, r1;
        split(m, nt, tid, r0, r1);
        for (int64_t i = r0; i < r1; ++i) {
            T* row = c + i * ldc;
            if (beta == T(0)) {
                std::fill(row, row + n, T(0));
            } else {
                for (int64_t j = 0; j < n; ++j) row[j] *= beta;
            }
        }
    });
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

// ---------------------------------------------------------------- GEMV (m == 1 or n == 1)

// y(i) := beta*y(i) + alpha * sum_p M(i, p) x(p) for i < rows, with M(i, p) = mat[i*rs + p*cs],
// x(p) = x[p*incx], y(i) = y[i*incy]. Rows are split across threads.
template <typename T>
void gemv(const Kernels<T>& kr, int64_t rows, int64_t k, T alpha, const T* mat, int64_t rs, int64_t cs,
          const T* x, int64_t incx, T beta, T* y, int64_t incy) {
    const int nthreads = threads_for(double(rows) * k / 4);
    auto finish = [&](int64_t i, T sum) {
        T& yi = y[i * incy];
        yi = beta == T(0) ? alpha * sum : beta * yi + alpha * sum;
    };
    if (cs != 1 && rs != 1) {  // no unit stride (not produced by the binding): plain loops
        for (int64_t i = 0; i < rows; ++i) {
            T sum = T(0);
            for (int64_t p = 0; p < k; ++p) sum += mat[i * rs + p * cs] * x[p * incx];
            finish(i, sum);
        }
        return;
    }
    const T* xc = x;
    if (cs == 1 && incx != 1) {  // the dot form wants x contiguous
        T* copy = tls_pack_a.get<T>(k);
        for (int64_t p = 0; p < k; ++p) copy[p] = x[p * incx];
        xc = copy;
    }
    T* sums = tls_pack_b.get<T>(rows);
    run_team(nthreads, [&](int nt, int tid) {
        int64_t r0, r1;
        split(rows, nt, tid, r0, r1);
        if (cs == 1) {  // rows of M contiguous: dot products
            kr.dot_rows(r1 - r0, k, mat + r0 * rs, rs, xc, sums + r0);
        } else {  // columns of M contiguous: accumulate x(p) * M(:, p) over p
            std::fill(sums + r0, sums + r1, T(0));
            kr.axpy_rows(r1 - r0, k, mat + r0, cs, x, incx, sums + r0);
        }
        for (int64_t i = r0; i < r1; ++i) finish(i, sums[i]);
    });
}

// ---------------------------------------------------------------- blocked GEMM

// Packing A pays when each packed A block is reused by many B micro-panels (measured: from about 16),
// or when A is stored transposed (reading it in place would touch one cache line per k step and row
// panel). Otherwise the microkernel reads A's rows in place.
bool should_pack_a(int64_t n, int64_t rs_a, int64_t nr) { return rs_a == 1 || n > 16 * nr; }

// Depth up to which a product whose A is read in place takes all of k in one slice, rather than kc-deep
// ones: each tile then sums the whole depth at once, and C is loaded and stored once (measured with the
// AVX2 kernels against their kc, float32 392 / float64 256: 128x784 @ 784x100 +2.1% on 1 thread, +3.0% on
// 2, float64 +4.6%; 576x1024 @ 1024x64 +3.7% on 1, +4.8% on 2, float64 +5.8% on 2; AVX-512 not measured).
// Deeper products keep kc (one slice of 4096 was +2% in float32 but -1.6% in float64 on 256x4096 @
// 4096x200).
constexpr int64_t kInPlaceAMaxDepth = 1024;

// Depth from which the dot-form tail beats the tall tile (measured, 1 thread, against the tall tile:
// k = 16: 0.94x, 32: 0.97x, 64: 0.99x, 128: 1.01x; 128x784 @ 784x100: 1.02x, 128x784 @ 784x4: 1.22x);
// the axpy-form tail uses the same threshold (784x128^T @ 128x100: 1.03x, 1000x256^T @ 256x20: 1.08x).
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

// How the threads of one product share it. kRows: each takes row blocks of C from a shared counter, large
// ones first and ever smaller ones towards the end (a thread that starts late, or is delayed by another
// process, is covered by the others, and the threads finish within a small block of each other). kColumns:
// each takes a contiguous share of the B micro-panels (and packs only those).
enum class Split { kNone, kRows, kColumns };

// Rows when there are enough row panels and B is not the bigger operand to pack; columns when C is
// short (few row panels) or wide with enough micro-panels to balance (each thread then packs only its
// part of B and all of the smaller A).
Split choose_split(int nthreads, int64_t m, int64_t n, int64_t m_panels, int64_t n_panels) {
    if (nthreads <= 1) return Split::kNone;
    if (m_panels < 2 * nthreads) return Split::kColumns;
    if (n > m && n_panels >= 4 * nthreads) return Split::kColumns;
    return Split::kRows;
}

template <typename T>
void gemm_blocked(const Kernels<T>& kr, int nthreads, const Problem<T>& pr) {
    const int64_t m = pr.m, n = pr.n, k = pr.k;
    const int64_t MR = kr.mr, NR = kr.nr;
    const bool pack_a = should_pack_a(n, pr.rs_a, NR);
    const int64_t kc_max = even_block(k, !pack_a && k <= kInPlaceAMaxDepth ? kInPlaceAMaxDepth : kr.kc, 4);
    const int64_t pc_blocks = ceil_div(k, kc_max);
    // A thread keeps the packed B panel for the whole depth (pc_blocks slices of kc x nc), at most
    // KC x NC elements: deep products get narrower JC panels.
    const int64_t nc_limit = std::max(NR, int64_t(kr.kc) * kr.nc / (pc_blocks * kc_max) / NR * NR);
    const int64_t nc_max = even_block(n, std::min<int64_t>(kr.nc, nc_limit), NR);
    const int64_t m_panels = ceil_div(m, MR);
    const Split team_split = choose_split(nthreads, m, n, m_panels, ceil_div(n, NR));
    const bool split_rows = team_split == Split::kRows;
    const int64_t mc_max = even_block(m, kr.mc, MR);
    const int64_t ic_blocks = ceil_div(m, mc_max);
    const int64_t jc_blocks = ceil_div(n, nc_max);
    std::vector<std::atomic<int64_t>> next_row_panel(static_cast<size_t>(jc_blocks));
    for (auto& counter : next_row_panel) counter.store(0);
    // The next row block [ic, ic + mc) of JC panel jb for a thread of a team splitting rows: a share of the
    // row panels left, 1 / (2 * nt) of them, at least one and at most mc_max rows. False when none is left.
    auto claim_rows = [&](int64_t jb, int nt, int64_t& ic, int64_t& mc) {
        auto& next = next_row_panel[static_cast<size_t>(jb)];
        int64_t first = next.load(std::memory_order_relaxed);
        int64_t take;
        do {
            if (first >= m_panels) return false;
            take = std::min(mc_max / MR, std::max<int64_t>(1, (m_panels - first) / (2 * nt)));
        } while (!next.compare_exchange_weak(first, first + take, std::memory_order_relaxed));
        ic = first * MR;
        mc = std::min(take * MR, m - ic);
        return true;
    };
    std::atomic<int> workers_done{0};
    // Threads splitting rows pack B once, together, into the caller's buffer (every JC panel at its own
    // place, up to kSharedPackedBBytes), each micro-panel when a thread first needs it: that thread claims
    // it, packs it and marks it packed; a thread that needs one being packed waits for it. Each thread
    // starts its sweep over the micro-panels at its own place (thread t of nt at t/nt of them), so the
    // threads pack different ones, each between tiles of its own (measured, 2 threads, against packing
    // all of them first: 128x784 @ 784x100 +1.7-2.3%, 1024^3 +1.8%, 784x128^T @ 128x100 +1.6%, 512^3 +1.2%,
    // others even; packing alone, both threads at once took 3.4-3.8 us a micro-panel, 2.5 us one alone).
    // A thread that arrives late finds the panels packed and never holds the others up. (Beyond that size
    // every thread packs each JC panel it uses on its own.)
    const int64_t panel_size = pc_blocks * kc_max * nc_max;
    const bool shared_b = split_rows && jc_blocks * panel_size * int64_t(sizeof(T)) <= kSharedPackedBBytes;
    const int64_t panels_per_jc = ceil_div(nc_max, NR);
    T* const shared_b_packed = shared_b ? tls_pack_b.get<T>(jc_blocks * panel_size) : nullptr;
    enum PanelState : int { kUnpacked, kPacking, kPacked };
    std::vector<std::atomic<int>> b_panel_state(
        static_cast<size_t>(shared_b ? jc_blocks * panels_per_jc : 0));
    for (auto& state : b_panel_state) state.store(kUnpacked, std::memory_order_relaxed);

    // A last B micro-panel of at most kDotTailCols columns goes through the dot-form tail when A's rows are
    // read in place and contiguous along k, and deep enough (the JC panel's micro-panel dot_panel(nc), else
    // none: -1).
    const bool dot_tail = !pack_a && pr.cs_a == 1 && n % NR != 0 && n % NR <= gemm_impl::kDotTailCols &&
                          kc_max >= kDotTailMinDepth;
    auto dot_panel = [&](int64_t jc, int64_t nc) { return dot_tail && jc + nc == n ? nc / NR : int64_t(-1); };
    // Its mirror when A is stored transposed (packed in a pass of its own): vectors along the rows of C.
    const bool axpy_tail = pack_a && pr.rs_a == 1 && kr.axpy_tail_rows > 0 && kc_max >= kDotTailMinDepth;
    // B read in place by the gathered-B microkernel (row p of a micro-panel at b + b_row_offsets[p]) when C
    // has so few row panels that packing B would cost about as much as it saves; a last partial micro-panel
    // is still packed (the gathered kernel reads NR values of every row).
    const bool b_in_place = pack_a && pr.cs_b == 1 && m_panels <= kInPlaceBMaxRowPanels && !split_rows;
    std::vector<int64_t> b_row_offsets(static_cast<size_t>(b_in_place ? k : 0));
    for (size_t p = 0; p < b_row_offsets.size(); ++p) b_row_offsets[p] = static_cast<int64_t>(p) * pr.rs_b;
    const bool prefetch_b = !b_in_place && panel_size * int64_t(sizeof(T)) > kPrefetchBPanelBytes;

    // Packs B micro-panels [s_begin, s_end) of the JC panel at column jc, every kc-deep slice (slice pb at
    // b_packed + pb * kc_max * nc_max; the panel lives in L3); the dot-form tail's panel column by column.
    auto pack_b_panels = [&](T* b_packed, int64_t jc, int64_t nc, int64_t s_begin, int64_t s_end) {
        const int64_t dot_s = dot_panel(jc, nc);
        const int64_t tile_end = dot_s >= s_begin && dot_s < s_end ? dot_s : s_end;
        for (int64_t pc = 0, pb = 0; pc < k; pc += kc_max, ++pb) {
            const int64_t kc = std::min(kc_max, k - pc);
            T* slice = b_packed + pb * kc_max * nc_max;
            const T* b_slice = pr.b + pc * pr.rs_b + jc * pr.cs_b;
            if (tile_end > s_begin)
                kr.pack_b(kc, std::min(nc, tile_end * NR) - s_begin * NR, b_slice + s_begin * NR * pr.cs_b,
                          pr.rs_b, pr.cs_b, slice + s_begin * NR * kc);
            if (tile_end < s_end)
                kr.pack_b_dot_tail(kc, nc - dot_s * NR, b_slice + dot_s * NR * pr.cs_b, pr.rs_b, pr.cs_b,
                                   slice + dot_s * NR * kc);
        }
    };

    // One thread's share of the product; with nt > 1 it runs inside this function's parallel region.
    auto thread_work = [&](int nt, int tid) {
        const int jr_ways = team_split == Split::kColumns ? nt : 1;
        const int jr_id = team_split == Split::kColumns ? tid : 0;
        T* a_packed = pack_a ? tls_pack_a.get<T>(mc_max * kc_max) : nullptr;
        T* const own_b_packed = shared_b ? nullptr : tls_pack_b.get<T>(panel_size);

        // JC loop: nc-wide panels of B and C.
        for (int64_t jc = 0, jb = 0; jc < n; jc += nc_max, ++jb) {
            const int64_t nc = std::min(nc_max, n - jc);
            const int64_t n_panels = ceil_div(nc, NR);
            int64_t s_begin, s_end;
            split(n_panels, jr_ways, jr_id, s_begin, s_end);
            if (s_end == s_begin) continue;
            T* const b_packed = shared_b ? shared_b_packed + jb * panel_size : own_b_packed;
            std::atomic<int>* const state = shared_b ? b_panel_state.data() + jb * panels_per_jc : nullptr;
            // Shared B: micro-panel s packed, by this thread if no other has claimed it.
            auto ensure_packed = [&](int64_t s) {
                int seen = state[s].load(std::memory_order_acquire);
                if (seen == kPacked) return;
                if (seen == kUnpacked &&
                    state[s].compare_exchange_strong(seen, kPacking, std::memory_order_acquire)) {
                    pack_b_panels(b_packed, jc, nc, s, s + 1);
                    state[s].store(kPacked, std::memory_order_release);
                    return;
                }
                while (state[s].load(std::memory_order_acquire) != kPacked) std::this_thread::yield();
            };
            if (b_in_place) {
                if (nc % NR != 0 && s_end == n_panels) pack_b_panels(b_packed, jc, nc, s_end - 1, s_end);
            } else if (!shared_b) {
                pack_b_panels(b_packed, jc, nc, s_begin, s_end);
            }
            const int64_t sweep = s_end - s_begin, sweep_start = shared_b ? tid * sweep / nt : 0;
            // IC loop: row blocks of at most mc_max rows (the packed A block lives in L2), claimed from the
            // shared counter when threads split rows, else all of them in turn.
            for (int64_t ib = 0;; ++ib) {
                int64_t ic = ib * mc_max, mc = std::min(mc_max, m - ic);
                if (split_rows ? !claim_rows(jb, nt, ic, mc) : ib >= ic_blocks) break;
                // PC loop: kc-deep slices; the first applies beta, later ones accumulate (beta = 1).
                for (int64_t pc = 0, pb = 0; pc < k; pc += kc_max, ++pb) {
                    const int64_t kc = std::min(kc_max, k - pc);
                    const T beta = pc == 0 ? pr.beta : T(1);
                    const T* a_block = pr.a + ic * pr.rs_a + pc * pr.cs_a;
                    if (pack_a) kr.pack_a(mc, kc, a_block, pr.rs_a, pr.cs_a, a_packed);
                    // JR loop: one kc x NR micro-panel of B stays in L1 (in L2 when a deep product with A read in
                    // place takes more than kc at once) while IR sweeps the A block.
                    for (int64_t step = 0; step < sweep; ++step) {
                        const int64_t s = s_begin + (sweep_start + step) % sweep;
                        if (shared_b) ensure_packed(s);
                        const int64_t nr = std::min(NR, nc - s * NR);
                        const T* b_panel = b_packed + pb * kc_max * nc_max + s * NR * kc;
                        T* c_col = pr.c + ic * pr.ldc + (jc + s * NR) * pr.cs_c;
                        if (b_in_place && nr == NR) {  // B in place, MR rows at a time
                            const T* b_cols = pr.b + (jc + s * NR) * pr.cs_b;
                            for (int64_t ir = 0; ir < mc; ir += MR)
                                kr.tile_gathered_b(kc, pr.alpha, a_packed + ir * kc, b_cols,
                                                   b_row_offsets.data() + pc, beta, c_col + ir * pr.ldc,
                                                   pr.ldc, pr.cs_c, std::min(MR, mc - ir), nr);
                            continue;
                        }
                        if (s == dot_panel(jc, nc)) {  // the dot-form tail, MR rows at a time
                            for (int64_t ir = 0; ir < mc; ir += MR)
                                kr.tile_dot_tail(kc, pr.alpha, a_block + ir * pr.rs_a, pr.rs_a, b_panel, beta,
                                                 c_col + ir * pr.ldc, pr.ldc, pr.cs_c, std::min(MR, mc - ir),
                                                 nr);
                            continue;
                        }
                        // IR loop, in the kernel with the tile inlined (measured, 1 thread, against a kernel
                        // call per tile: 128x10 @ 10x100^T +8.6%, 100x128^T @ 128x10 +3.6%, larger products
                        // within 1.5%), prefetching the next micro-panel into L2 on the way when the panel
                        // lives in L3. With A stored transposed and up to 4 columns, the axpy-form tail first
                        // takes whole blocks of axpy_tail_rows rows (the last micro-panel: no prefetch).
                        const char* const next_b = prefetch_b && s + 1 < s_end
                                                       ? reinterpret_cast<const char*>(b_panel + NR * kc)
                                                       : nullptr;
                        const int64_t next_b_bytes = next_b ? int64_t(sizeof(T)) * NR * kc : 0;
                        const int64_t axpy_rows = axpy_tail && nr <= gemm_impl::kDotTailCols
                                                      ? mc / kr.axpy_tail_rows * kr.axpy_tail_rows
                                                      : 0;
                        for (int64_t ir = 0; ir < axpy_rows; ir += kr.axpy_tail_rows)
                            kr.tile_axpy_tail(kc, pr.alpha, a_block + ir * pr.rs_a, pr.cs_a, b_panel, beta,
                                              c_col + ir * pr.ldc, pr.ldc, pr.cs_c, nr);
                        if (pack_a)
                            kr.column_packed(mc - axpy_rows, kc, pr.alpha, a_packed + axpy_rows * kc, b_panel,
                                             beta, c_col + axpy_rows * pr.ldc, pr.ldc, pr.cs_c, nr, next_b,
                                             next_b_bytes);
                        else
                            kr.column_strided_a(mc - axpy_rows, kc, pr.alpha, a_block + axpy_rows * pr.rs_a,
                                                pr.rs_a, pr.cs_a, b_panel, beta, c_col + axpy_rows * pr.ldc,
                                                pr.ldc, pr.cs_c, nr, next_b, next_b_bytes);
                    }
                }
            }
        }
        // Join: the calling thread waits for the others by spinning, as it would otherwise sleep in the
        // OpenMP barrier and take a wake-up (~10 us measured) when the last of them arrives; the others
        // leave at once (arriving first, they sleep there and cost nothing).
        if (tid != 0) {
            workers_done.fetch_add(1, std::memory_order_release);
        } else {
            while (workers_done.load(std::memory_order_acquire) < nt - 1) std::this_thread::yield();
        }
    };
    run_team(nthreads, thread_work);
}

// Multiply-adds the microkernels spend on an m x n C, padding included.
template <typename T>
int64_t padded_area(const Kernels<T>& kr, int64_t m, int64_t n) {
    return ceil_div(m, kr.mr) * kr.mr * ceil_div(n, kr.nr) * kr.nr;
}

template <typename T>
void gemm_run(int nthreads, const Problem<T>& pr) {
    const Kernels<T>& kr = active_kernels<T>();
    if (pr.m == 0 || pr.n == 0) return;
    if (pr.k == 0 || pr.alpha == T(0)) {
        scale_c(pr.m, pr.n, pr.beta, pr.c, pr.ldc);
        return;
    }
    if (pr.n == 1) {
        gemv(kr, pr.m, pr.k, pr.alpha, pr.a, pr.rs_a, pr.cs_a, pr.b, pr.rs_b, pr.beta, pr.c, pr.ldc);
    } else if (pr.m == 1) {  // C^T = op(B)^T op(A)^T: rows of op(B)^T are the columns of op(B)
        gemv(kr, pr.n, pr.k, pr.alpha, pr.b, pr.cs_b, pr.rs_b, pr.a, pr.cs_a, pr.beta, pr.c, int64_t(1));
    } else if (pr.n < kr.nr && pr.rs_a == 1 && padded_area(kr, pr.n, pr.m) < padded_area(kr, pr.m, pr.n) * 7 / 8) {
        // Narrow C with A stored transposed: compute C^T = op(B)^T op(A)^T, whose tiles waste less padding
        // and whose B operand (A's storage) packs with contiguous rows, each tile stored transposed into C.
        // (With row-major A the transposing pack of op(A)^T costs more than the padding saves: measured.)
        gemm_blocked(kr, nthreads,
                     Problem<T>{pr.n, pr.m, pr.k, pr.alpha, pr.b, pr.cs_b, pr.rs_b, pr.a, pr.cs_a, pr.rs_a, pr.beta,
                                pr.c, 1, pr.ldc});
    } else {
        gemm_blocked(kr, nthreads, pr);
    }
}

template <typename T>
Problem<T> make_problem(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                        int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    return {m,
            n,
            k,
            alpha,
            a,
            trans_a ? 1 : lda,
            trans_a ? lda : 1,
            b,
            trans_b ? 1 : ldb,
            trans_b ? ldb : 1,
            beta,
            c,
            ldc,
            1};
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    gemm_run(threads_for(double(m) * n * k),
             make_problem(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
}

template <typename T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                  const T* a, int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta,
                  T* c, int64_t ldc, int64_t stride_c) {
    const Problem<T> first = make_problem(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    const double work = double(m) * n * k;
    const int per_product = threads_for(work);
    const int across_batch = threads_for(work * batch);
    if (batch > 1 && per_product < across_batch) {
        // Products too small to keep every thread busy: one product per thread at a time.
#pragma omp parallel for schedule(static) num_threads(across_batch)
        for (int64_t i = 0; i < batch; ++i) {
            Problem<T> pr = first;
            pr.a += i * stride_a;
            pr.b += i * stride_b;
            pr.c += i * stride_c;
            gemm_run(1, pr);
        }
        return;
    }
    for (int64_t i = 0; i < batch; ++i) {
        Problem<T> pr = first;
        pr.a += i * stride_a;
        pr.b += i * stride_b;
        pr.c += i * stride_c;
        gemm_run(per_product, pr);
    }
}

template <typename T>
GatheredGemm<T>::GatheredGemm(int64_t m, int64_t k, const T* a, int64_t lda) {
    const Kernels<T>& kr = active_kernels<T>();
    m_ = m;
    k_ = k;
    mr_ = kr.mr;
    nr_ = kr.nr;
    kc_ = even_block(std::max<int64_t>(k, 1), kr.kc, 1);
    m_padded_ = ceil_div(m, mr_) * mr_;
    tile_ = kr.tile_gathered_b;
    a_packed_.resize(static_cast<size_t>(m_padded_ * k));
    for (int64_t pc = 0; pc < k; pc += kc_)
        kr.pack_a(m, std::min(kc_, k - pc), a + pc, lda, 1, a_packed_.data() + pc * m_padded_);
}

template <typename T>
void GatheredGemm<T>::run(int64_t rows, int64_t n, const T* b, int64_t b_step, const int64_t* offsets, T* c,
                          int64_t c_step, int64_t ldc) const {
    if (k_ == 0) {
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t i = 0; i < m_; ++i) std::fill(c + r * c_step + i * ldc, c + r * c_step + i * ldc + n, T(0));
        return;
    }
    // PC slices; each MR-row A panel stays in L1 while it meets every NR-column tile of every B_r (in L2).
    for (int64_t pc = 0; pc < k_; pc += kc_) {
        const int64_t kc = std::min(kc_, k_ - pc);
        const T beta = pc == 0 ? T(0) : T(1);
        for (int64_t ir = 0; ir < m_; ir += mr_) {
            const T* panel = a_packed_.data() + pc * m_padded_ + ir * kc;
            for (int64_t r = 0; r < rows; ++r) {
                for (int64_t jr = 0; jr < n; jr += nr_)
                    tile_(kc, T(1), panel, b + r * b_step + jr, offsets + pc, beta, c + r * c_step + ir * ldc + jr,
                          ldc, 1, std::min(mr_, m_ - ir), std::min(nr_, n - jr));
            }
        }
    }
}

template class GatheredGemm<float>;
template class GatheredGemm<double>;

std::string gemm_isa() { return kernel_tables().table().name; }

std::vector<std::string> gemm_available_isas() { return kernel_tables().available(); }

void set_gemm_isa(const std::string& name) { kernel_tables().set(name); }

GemmBlocking gemm_blocking(bool float64) {
    const Isa* isa = &kernel_tables().table();
    auto blocking = [](const auto& kr) {
        return GemmBlocking{kr.mr, kr.nr, kr.mc, kr.kc, kr.nc, static_cast<int>(kInPlaceAMaxDepth)};
    };
    return float64 ? blocking(isa->f64) : blocking(isa->f32);
}

#define TL_INSTANTIATE_GEMM(T)                                                                                  \
    template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T,    \
                          T*, int64_t);                                                                         \
    template void gemm_batched<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, \
                                  const T*, int64_t, int64_t, T, T*, int64_t, int64_t);
TL_INSTANTIATE_GEMM(float)
TL_INSTANTIATE_GEMM(double)
#undef TL_INSTANTIATE_GEMM

}  // namespace tl
