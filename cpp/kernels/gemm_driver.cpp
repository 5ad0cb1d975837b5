// GEMM driver: C := alpha * op(A) * op(B) + beta * C, row-major, float and double. C scaled only, GEMV
// (m == 1 or n == 1), or the Goto/BLIS algorithm: loops around a register-blocked microkernel, with A and B
// packed into contiguous, aligned, zero-padded micro-panels so that the microkernel sees one layout whatever
// the transposes and strides. The loops, outermost first (the block sizes and modes come from the plan,
// gemm_plan.h):
//   JC  nc-wide panels of B and C; B's panel is packed for the whole depth (every kc slice, in L3)
//   IC  mc-row blocks of C (a thread's unit of work when threads split rows)
//   PC  kc-deep slices; A's mc x kc block is packed here (it lives in L2); the first slice applies beta
//   JR  NR-column micro-panels of B (kc x NR, in L1)      } the macro-kernel (macro_kernel), as BLIS's
//   IR  MR-row micro-panels of A, inside the kernel call  } bli_gemm_ker_var2
// BLIS runs PC outside IC (JC, PC, IC) and packs B one kc slice at a time, so every thread must be done
// with a slice before the next is packed over it: a barrier per slice. Here B is packed for all of k at
// once, so PC runs inside IC: a thread that takes a row block finishes it down the whole depth, threads
// take row blocks from a counter with no barrier at all, and one delayed by another process is covered by
// the others. The price is the size of the B panel (all its slices): the plan narrows nc for deep products.
// Threads share the row-block counters and the packed B, and wait only for a B micro-panel still being
// packed.
#include "kernels/gemm_driver.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <thread>
#include <vector>

#include "kernels/parallel.h"
#include "kernels/runtime.h"

#ifdef TENSORLITE_OPENMP
#include <omp.h>
#endif

namespace tl {
namespace gemm_impl {
namespace {

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

thread_local ScratchBuffer tls_pack_a;  // this thread's packed A block (mc x kc); GEMV: x copy
thread_local ScratchBuffer tls_pack_b;  // this thread's packed B micro-panels; GEMV: the sums


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

// The [begin, end) share of `count` items for `part` of `parts` (contiguous, sizes differ by <= 1).
void split(int64_t count, int parts, int part, int64_t& begin, int64_t& end) {
    begin = count * part / parts;
    end = count * (part + 1) / parts;
}

}  // namespace

int threads_for(double work) {
    if (in_parallel_region()) return 1;
    const double useful = std::max(1.0, std::ceil(work / static_cast<double>(kGemmWorkPerThread)) - 1);
    return static_cast<int>(std::min<double>(get_num_threads(), useful));
}

namespace {

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

// ---------------------------------------------------------------- the blocked product

// What every loop of one blocked product reads: the kernels, the operands, the plan, and (B read in place)
// the offset of each row of B, p * rs_b.
template <typename T>
struct Product {
    const Kernels<T>& kr;
    const Problem<T>& pr;
    const GemmPlan& plan;
    const int64_t* b_row_offsets;
};

// Packs B micro-panels [s_begin, s_end) of the JC panel at column jc (nc wide) into b_packed, every kc-deep
// slice (slice pb at b_packed + pb * kc * nc); the dot-form tail's micro-panel column by column.
template <typename T>
void pack_b_panels(const Product<T>& p, T* b_packed, int64_t jc, int64_t nc, int64_t s_begin, int64_t s_end) {
    const Problem<T>& pr = p.pr;
    const int64_t NR = p.plan.nr, dot_s = p.plan.dot_panel(jc, nc, pr.n);
    const int64_t tile_end = dot_s >= s_begin && dot_s < s_end ? dot_s : s_end;
    for (int64_t pc = 0, pb = 0; pc < pr.k; pc += p.plan.kc, ++pb) {
        const int64_t kc = std::min(p.plan.kc, pr.k - pc);
        T* slice = b_packed + pb * p.plan.kc * p.plan.nc;
        const T* b_slice = pr.b + pc * pr.rs_b + jc * pr.cs_b;
        if (tile_end > s_begin)
            p.kr.pack_b(kc, std::min(nc, tile_end * NR) - s_begin * NR, b_slice + s_begin * NR * pr.cs_b,
                        pr.rs_b, pr.cs_b, slice + s_begin * NR * kc);
        if (tile_end < s_end)
            p.kr.pack_b_dot_tail(kc, nc - dot_s * NR, b_slice + dot_s * NR * pr.cs_b, pr.rs_b, pr.cs_b,
                                 slice + dot_s * NR * kc);
    }
}

// B packed once for all the threads of a product that split rows, into the calling thread's buffer (every
// JC panel at its own place), each micro-panel when a thread first needs it: that thread claims it, packs it
// and marks it packed; a thread that needs one being packed waits for it. Threads start their sweeps over
// the micro-panels at different places (run_thread), so they pack different ones, each between tiles of
// its own (measured, 2 threads, against packing all of them first: 128x784 @ 784x100 +1.7-2.3%, 1024^3
// +1.8%, 784x128^T @ 128x100 +1.6%, 512^3 +1.2%, others even; packing alone, both threads at once took
// 3.4-3.8 us a micro-panel, 2.5 us one alone). A thread that arrives late finds the panels packed and never
// holds the others up.
template <typename T>
class SharedPackedB {
public:
    // Empty (no state) unless the plan shares B; `buffer` holds jc_blocks * panel_size elements.
    SharedPackedB(const GemmPlan& plan, T* buffer)
        : data_(buffer),
          panel_size_(plan.panel_size),
          panels_per_jc_(plan.panels_per_jc),
          state_(static_cast<size_t>(plan.shared_b ? plan.jc_blocks * plan.panels_per_jc : 0)) {
        for (auto& state : state_) state.store(kUnpacked, std::memory_order_relaxed);
    }
    // JC panel jb's packed B.
    T* panel(int64_t jb) const { return data_ + jb * panel_size_; }
    // Micro-panel s of JC panel jb (column jc, nc wide) packed, by this thread if no other has claimed it.
    void ensure_packed(const Product<T>& p, int64_t jb, int64_t jc, int64_t nc, int64_t s) {
        std::atomic<int>& state = state_[static_cast<size_t>(jb * panels_per_jc_ + s)];
        int seen = state.load(std::memory_order_acquire);
        if (seen == kPacked) return;
        if (seen == kUnpacked && state.compare_exchange_strong(seen, kPacking, std::memory_order_acquire)) {
            pack_b_panels(p, panel(jb), jc, nc, s, s + 1);
            state.store(kPacked, std::memory_order_release);
            return;
        }
        while (state.load(std::memory_order_acquire) != kPacked) std::this_thread::yield();
    }

private:
    enum PanelState : int { kUnpacked, kPacking, kPacked };
    T* data_;
    int64_t panel_size_, panels_per_jc_;
    std::vector<std::atomic<int>> state_;
};

// What the threads of one product share besides B: the row-block counter of each JC panel, and the count of
// threads done.
class Team {
public:
    Team(const GemmPlan& plan, int64_t m)
        : plan_(plan), m_(m), next_row_panel_(static_cast<size_t>(plan.jc_blocks)) {
        for (auto& counter : next_row_panel_) counter.store(0);
    }
    // The next row block [ic, ic + mc) of JC panel jb for a thread of a team of nt splitting rows: a share of
    // the row panels left, 1 / (2 * nt) of them, at least one and at most mc rows. False when none is left.
    bool claim_rows(int64_t jb, int nt, int64_t& ic, int64_t& mc) {
        auto& next = next_row_panel_[static_cast<size_t>(jb)];
        const int64_t MR = plan_.mr, m_panels = plan_.m_panels;
        int64_t first = next.load(std::memory_order_relaxed);
        int64_t take;
        do {
            if (first >= m_panels) return false;
            take = std::min(plan_.mc / MR, std::max<int64_t>(1, (m_panels - first) / (2 * nt)));
        } while (!next.compare_exchange_weak(first, first + take, std::memory_order_relaxed));
        ic = first * MR;
        mc = std::min(take * MR, m_ - ic);
        return true;
    }
    // The calling thread (tid 0) waits for the others by spinning, as it would otherwise sleep in the OpenMP
    // barrier and take a wake-up (~10 us measured) when the last of them arrives; the others leave at once
    // (arriving first, they sleep there and cost nothing).
    void join(int nt, int tid) {
        if (tid != 0) {
            workers_done_.fetch_add(1, std::memory_order_release);
        } else {
            while (workers_done_.load(std::memory_order_acquire) < nt - 1) std::this_thread::yield();
        }
    }

private:
    const GemmPlan& plan_;
    int64_t m_;
    std::vector<std::atomic<int64_t>> next_row_panel_;
    std::atomic<int> workers_done_{0};
};

// One step of the IC and PC loops: rows [ic, ic + mc) of C and depth slice pb, [pc, pc + kc), with the beta
// this slice applies (the first one beta, later ones 1) and the block of A in place (a) and, when the plan
// packs A, packed (a_packed).
template <typename T>
struct ABlock {
    int64_t ic, mc, pc, kc, pb;
    T beta;
    const T* a;
    const T* a_packed;
};

// A thread's share of the JC panel jb at column jc (nc wide): micro-panels [s_begin, s_end), swept from
// s_begin + start round to s_begin + start - 1, packed at b_packed.
template <typename T>
struct BShare {
    int64_t jb, jc, nc, s_begin, s_end, start;
    T* b_packed;
};

// IR over the A block for a whole micro-panel of B read in place (row p at b_cols + b_row_offsets[p]), MR
// rows at a time.
template <typename T>
void ir_gathered_b(const Product<T>& p, const ABlock<T>& a, const T* b_cols, T* c_col, int64_t nr) {
    const int64_t MR = p.plan.mr;
    for (int64_t ir = 0; ir < a.mc; ir += MR)
        p.kr.tile_gathered_b(a.kc, p.pr.alpha, a.a_packed + ir * a.kc, b_cols, p.b_row_offsets + a.pc, a.beta,
                             c_col + ir * p.pr.ldc, p.pr.ldc, p.pr.cs_c, std::min(MR, a.mc - ir), nr);
}

// IR over the A block (in place) for the dot-form tail's micro-panel, MR rows at a time.
template <typename T>
void ir_dot_tail(const Product<T>& p, const ABlock<T>& a, const T* b_panel, T* c_col, int64_t nr) {
    const int64_t MR = p.plan.mr;
    for (int64_t ir = 0; ir < a.mc; ir += MR)
        p.kr.tile_dot_tail(a.kc, p.pr.alpha, a.a + ir * p.pr.rs_a, p.pr.rs_a, b_panel, a.beta,
                           c_col + ir * p.pr.ldc, p.pr.ldc, p.pr.cs_c, std::min(MR, a.mc - ir), nr);
}

// IR over the A block for a packed micro-panel, in the kernel with the tile inlined (measured, 1 thread,
// against a kernel call per tile: 128x10 @ 10x100^T +8.6%, 100x128^T @ 128x10 +3.6%, larger products
// within 1.5%), prefetching next_b_bytes at next_b into L2 on the way. With A stored transposed and up to
// kDotTailCols columns, the axpy-form tail first takes whole blocks of axpy_tail_rows rows.
template <typename T>
void ir_packed_b(const Product<T>& p, const ABlock<T>& a, const T* b_panel, T* c_col, int64_t nr,
                 const char* next_b, int64_t next_b_bytes) {
    const Kernels<T>& kr = p.kr;
    const Problem<T>& pr = p.pr;
    const int64_t axpy_rows =
        p.plan.axpy_tail && nr <= kDotTailCols ? a.mc / kr.axpy_tail_rows * kr.axpy_tail_rows : 0;
    for (int64_t ir = 0; ir < axpy_rows; ir += kr.axpy_tail_rows)
        kr.tile_axpy_tail(a.kc, pr.alpha, a.a + ir * pr.rs_a, pr.cs_a, b_panel, a.beta, c_col + ir * pr.ldc,
                          pr.ldc, pr.cs_c, nr);
    if (p.plan.pack_a)
        kr.column_packed(a.mc - axpy_rows, a.kc, pr.alpha, a.a_packed + axpy_rows * a.kc, b_panel, a.beta,
                         c_col + axpy_rows * pr.ldc, pr.ldc, pr.cs_c, nr, next_b, next_b_bytes);
    else
        kr.column_strided_a(a.mc - axpy_rows, a.kc, pr.alpha, a.a + axpy_rows * pr.rs_a, pr.rs_a, pr.cs_a,
                            b_panel, a.beta, c_col + axpy_rows * pr.ldc, pr.ldc, pr.cs_c, nr, next_b,
                            next_b_bytes);
}

// The macro-kernel (BLIS's ker_var2): the JR loop over a thread's micro-panels of one kc-deep slice of B,
// each against the A block, with the IR loop inside the kernel calls. One kc x NR micro-panel of B stays in
// L1 (in L2 when a deep product with A read in place takes more than kc at once) while IR sweeps the A
// block. A shared B's micro-panels are packed on first use.
template <typename T>
void macro_kernel(const Product<T>& p, const ABlock<T>& a, const BShare<T>& b, SharedPackedB<T>* shared) {
    const GemmPlan& plan = p.plan;
    const int64_t NR = plan.nr, sweep = b.s_end - b.s_begin, dot_s = plan.dot_panel(b.jc, b.nc, p.pr.n);
    for (int64_t step = 0; step < sweep; ++step) {
        const int64_t s = b.s_begin + (b.start + step) % sweep;
        if (shared) shared->ensure_packed(p, b.jb, b.jc, b.nc, s);
        const int64_t nr = std::min(NR, b.nc - s * NR);
        const T* b_panel = b.b_packed + a.pb * plan.kc * plan.nc + s * NR * a.kc;
        T* c_col = p.pr.c + a.ic * p.pr.ldc + (b.jc + s * NR) * p.pr.cs_c;
        if (plan.b_in_place && nr == NR) {
            ir_gathered_b(p, a, p.pr.b + (b.jc + s * NR) * p.pr.cs_b, c_col, nr);
        } else if (s == dot_s) {
            ir_dot_tail(p, a, b_panel, c_col, nr);
        } else {
            // The next micro-panel in memory (none after the last) is prefetched when the panel is in L3.
            const char* const next_b = plan.prefetch_b && s + 1 < b.s_end
                                           ? reinterpret_cast<const char*>(b_panel + NR * a.kc)
                                           : nullptr;
            ir_packed_b(p, a, b_panel, c_col, nr, next_b, next_b ? int64_t(sizeof(T)) * NR * a.kc : 0);
        }
    }
}

// One thread's share of the product, thread tid of nt: the JC, IC and PC loops around the macro-kernel.
template <typename T>
void run_thread(const Product<T>& p, Team& team, SharedPackedB<T>* shared, int nt, int tid) {
    const GemmPlan& plan = p.plan;
    const Problem<T>& pr = p.pr;
    const bool split_rows = plan.split == Split::kRows, split_columns = plan.split == Split::kColumns;
    T* const a_packed = plan.pack_a ? tls_pack_a.get<T>(plan.mc * plan.kc) : nullptr;
    T* const own_b_packed = shared ? nullptr : tls_pack_b.get<T>(plan.panel_size);
    // JC loop: nc-wide panels of B and C; threads splitting columns take contiguous shares of micro-panels.
    for (int64_t jc = 0, jb = 0; jc < pr.n; jc += plan.nc, ++jb) {
        const int64_t nc = std::min(plan.nc, pr.n - jc), n_panels = ceil_div(nc, plan.nr);
        BShare<T> b{jb, jc, nc, 0, 0, 0, shared ? shared->panel(jb) : own_b_packed};
        split(n_panels, split_columns ? nt : 1, split_columns ? tid : 0, b.s_begin, b.s_end);
        if (b.s_end == b.s_begin) continue;
        if (plan.b_in_place) {  // only a last partial micro-panel is packed
            if (nc % plan.nr != 0 && b.s_end == n_panels)
                pack_b_panels(p, b.b_packed, jc, nc, b.s_end - 1, b.s_end);
        } else if (!shared) {
            pack_b_panels(p, b.b_packed, jc, nc, b.s_begin, b.s_end);
        }
        // Threads sharing B start their sweeps t/nt of the way along, so they pack different micro-panels.
        b.start = shared ? tid * (b.s_end - b.s_begin) / nt : 0;
        // IC loop: row blocks of at most mc rows, claimed from the shared counter when threads split rows,
        // else all of them in turn.
        for (int64_t ib = 0;; ++ib) {
            int64_t ic = ib * plan.mc, mc = std::min(plan.mc, pr.m - ic);
            if (split_rows ? !team.claim_rows(jb, nt, ic, mc) : ib >= plan.ic_blocks) break;
            // PC loop: kc-deep slices, the A block packed for each.
            for (int64_t pc = 0, pb = 0; pc < pr.k; pc += plan.kc, ++pb) {
                const ABlock<T> a{ic, mc, pc, std::min(plan.kc, pr.k - pc), pb, pc == 0 ? pr.beta : T(1),
                                  pr.a + ic * pr.rs_a + pc * pr.cs_a, a_packed};
                if (plan.pack_a) p.kr.pack_a(mc, a.kc, a.a, pr.rs_a, pr.cs_a, a_packed);
                macro_kernel(p, a, b, shared);
            }
        }
    }
}

template <typename T>
void gemm_blocked(const Kernels<T>& kr, int nthreads, const Problem<T>& pr) {
    const GemmPlan plan = plan_gemm(kr, nthreads, pr);
    std::vector<int64_t> b_row_offsets(static_cast<size_t>(plan.b_in_place ? pr.k : 0));
    for (size_t p = 0; p < b_row_offsets.size(); ++p) b_row_offsets[p] = static_cast<int64_t>(p) * pr.rs_b;
    const Product<T> product{kr, pr, plan, b_row_offsets.data()};
    // A shared B lives in the calling thread's buffer, which keeps its size for later products.
    T* const shared_buffer = plan.shared_b ? tls_pack_b.get<T>(plan.jc_blocks * plan.panel_size) : nullptr;
    SharedPackedB<T> shared_b(plan, shared_buffer);
    Team team(plan, pr.m);
    // A thread's packing buffers grow inside the region (they are thread_local), so std::bad_alloc is carried
    // out of it (kernels/parallel.h). It can only come before the thread claims rows or B micro-panels, so the
    // others finish the product without waiting for it; every thread still joins.
    ParallelErrors errors;
    run_team(nthreads, [&](int nt, int tid) {
        errors.run([&] { run_thread(product, team, plan.shared_b ? &shared_b : nullptr, nt, tid); });
        team.join(nt, tid);
    });
    errors.rethrow();
}

// Multiply-adds the microkernels spend on an m x n C, padding included.
template <typename T>
int64_t padded_area(const Kernels<T>& kr, int64_t m, int64_t n) {
    return ceil_div(m, kr.mr) * kr.mr * ceil_div(n, kr.nr) * kr.nr;
}

}  // namespace

template <typename T>
void gemm_run(const Kernels<T>& kr, int nthreads, const Problem<T>& pr) {
    if (pr.m == 0 || pr.n == 0) return;
    if (pr.k == 0 || pr.alpha == T(0)) {
        scale_c(pr.m, pr.n, pr.beta, pr.c, pr.ldc);
        return;
    }
    if (pr.n == 1) {
        gemv(kr, pr.m, pr.k, pr.alpha, pr.a, pr.rs_a, pr.cs_a, pr.b, pr.rs_b, pr.beta, pr.c, pr.ldc);
    } else if (pr.m == 1) {  // C^T = op(B)^T op(A)^T: rows of op(B)^T are the columns of op(B)
        gemv(kr, pr.n, pr.k, pr.alpha, pr.b, pr.cs_b, pr.rs_b, pr.a, pr.cs_a, pr.beta, pr.c, int64_t(1));
    } else if (pr.n < kr.nr && pr.rs_a == 1 &&
               padded_area(kr, pr.n, pr.m) < padded_area(kr, pr.m, pr.n) * 7 / 8) {
        // Narrow C with A stored transposed: compute C^T = op(B)^T op(A)^T, whose tiles waste less padding
        // and whose B operand (A's storage) packs with contiguous rows, each tile stored transposed into C.
        // (With row-major A the transposing pack of op(A)^T costs more than the padding saves: measured.)
        gemm_blocked(kr, nthreads,
                     Problem<T>{pr.n, pr.m, pr.k, pr.alpha, pr.b, pr.cs_b, pr.rs_b, pr.a, pr.cs_a, pr.rs_a,
                                pr.beta, pr.c, 1, pr.ldc});
    } else {
        gemm_blocked(kr, nthreads, pr);
    }
}

template void gemm_run<float>(const Kernels<float>&, int, const Problem<float>&);
template void gemm_run<double>(const Kernels<double>&, int, const Problem<double>&);

}  // namespace gemm_impl
}  // namespace tl
