// GEMM entry points: C := alpha * op(A) * op(B) + beta * C (gemm, gemm_batched) and products with B
// gathered in place (GatheredGemm), row-major, float and double; and the choice of kernels. The
// microkernels, packing routines and GEMV primitives come from one per-ISA table (gemm_isa.h): a kernel
// variant, chosen through cpu_features.h, or forced (set_gemm_kernel), or measured (autotune.h). The loops
// around them: gemm_driver.cpp (plan: gemm_plan.cpp). Many small batched products run one per thread.
#include "kernels/gemm.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <stdexcept>
#include <vector>

#include "kernels/autotune.h"
#include "kernels/cpu_features.h"
#include "kernels/gemm_driver.h"
#include "kernels/gemm_isa.h"
#include "kernels/gemm_plan.h"
#include "kernels/parallel.h"
#include "kernels/runtime.h"

namespace tl {
namespace {

using gemm_impl::even_block;
using gemm_impl::Isa;
using gemm_impl::Kernels;
using gemm_impl::Problem;
using gemm_impl::threads_for;

// ---------------------------------------------------------------- ISA selection

// The kernel tables, one per instruction set (cpu_features.h picks the one that runs).
IsaDispatch<Isa>& kernel_tables() {
    static IsaDispatch<Isa> tables("set_gemm_isa", {gemm_impl::generic_kernels(), gemm_impl::avx2_kernels(),
                                                    gemm_impl::avx512_kernels()});
    return tables;
}

// ---------------------------------------------------------------- kernel variants

// One register-tile shape of one ISA build, and the ISA level it needs.
struct Variant {
    const Isa* isa;
    IsaLevel level;
};

// Every kernel table this binary holds, best first: AVX-512's main table and its further tile shapes, AVX2,
// generic.
const std::vector<Variant>& all_variants() {
    static const std::vector<Variant> variants = [] {
        std::vector<Variant> v;
        if (const Isa* t = gemm_impl::avx512_kernels()) v.push_back({t, IsaLevel::avx512});
        const gemm_impl::IsaTables tiles = gemm_impl::avx512_tile_variants();
        for (int i = 0; i < tiles.count; ++i) v.push_back({tiles.tables + i, IsaLevel::avx512});
        if (const Isa* t = gemm_impl::avx2_kernels()) v.push_back({t, IsaLevel::avx2});
        v.push_back({gemm_impl::generic_kernels(), IsaLevel::generic});
        return v;
    }();
    return variants;
}

const Variant* find_variant(const std::string& name) {
    for (const Variant& v : all_variants())
        if (name == v.isa->name) return &v;
    return nullptr;
}

// The variant set_gemm_kernel forces, and the one a GemmKernelScope runs (nullptr: none).
std::atomic<const Variant*> forced_variant{nullptr};
std::atomic<const Isa*> scoped_variant{nullptr};

// The variant named `name` if it may run here (within isa_limit()), else nullptr.
const Isa* runnable_variant(const std::string& name) {
    const Variant* v = find_variant(name);
    return v && v->level <= isa_limit() ? v->isa : nullptr;
}

template <typename T>
const Kernels<T>& kernels_of(const Isa& isa);
template <>
const Kernels<float>& kernels_of<float>(const Isa& isa) {
    return isa.f32;
}
template <>
const Kernels<double>& kernels_of<double>(const Isa& isa) {
    return isa.f64;
}

// The static per-shape rule, used when nothing is forced: inside the AVX-512 build, the tile that measured
// fastest for the product's shape class (see below); on other ISAs their one table.
template <typename T>
const Isa& static_choice(int64_t m, int64_t n);

// The kernels for one m x n x k product (n = 0: not known yet, for GatheredGemm, which packs A before it
// sees B): the forced variant if set; else the scope's (a measured choice, or a candidate being timed); else
// the static rule for the shape, within the active ISA.
template <typename T>
const Kernels<T>& kernels_for(int64_t m, int64_t n, int64_t /*k*/) {
    if (const Variant* forced = forced_variant.load(std::memory_order_relaxed)) return kernels_of<T>(*forced->isa);
    if (const Isa* scoped = scoped_variant.load(std::memory_order_relaxed)) return kernels_of<T>(*scoped);
    return kernels_of<T>(static_choice<T>(m, n));
}

// The tables static_choice picks from, looked up by name once: the rule runs on every product, and a
// search with string compares cost a few percent of a 64x16x64 product (Winograd's 16 per chunk).
struct TileTables {
    const Isa *t4x64, *t8x32, *t12x16, *avx2;
};
const TileTables& tile_tables() {
    static const TileTables tables = [] {
        auto isa = [](const char* name) {
            const Variant* v = find_variant(name);
            return v ? v->isa : nullptr;
        };
        return TileTables{isa("avx512-4x64"), isa("avx512-8x32"), isa("avx512-12x16"), isa("avx2")};
    }();
    return tables;
}

// `table` if this binary holds it, else `fallback`.
const Isa& variant_or(const Isa* table, const Isa& fallback) { return table ? *table : fallback; }

// Inside the AVX-512 build, the tile that measured fastest for the product's shape class. Measured on
// Sapphire Rapids (2 cores shared with other jobs), per product on 1 thread as the convolution's per-image
// products run, us, median of 5-7 rounds alternating the variants, float32 [float64]:
//   dW^T of conv 3->16, 27x1024 @ (16x1024)^T: 12x16 10.1, avx2 11.3, 8x32 12.7, avx512 15.1
//     [8x32 17.0, avx512 18.2, 12x16 22.0, avx2 24.5]
//   dW^T of LeNet conv1, 25x576 @ (6x576)^T: avx2 4.4, 12x16 5.9, 8x32 6.9, avx512 7.0 [12x16 6.7, avx2 6.7,
//     avx512 7.8]
//   dW^T of LeNet conv2, 150x64 @ (16x64)^T: 12x16 3.1, 8x32 3.3, avx512 3.4 [8x32 4.9, avx512 5.0]
//   MLP, 100x40 @ (100x40)^T: 8x32 8.3, avx512 8.4 [13.5, 13.7]; 100x100 @ 100x100: 8x32 16.4, avx512 17.0
//     [29.4, 34.3]; 100x100 @ (10x100)^T: 12x16 3.1, 8x32 3.5, avx512 3.5 [8x32 5.2, avx512 5.4]
//   LeNet fc 64x400 @ (120x400)^T: 8x32 46.9, avx512 48.0 [avx512 94, 8x32 98]; 256^3: 8x32 211, avx512 212
//   the mid-sized products' 1-4% for 8x32 did not hold on 2 threads (128x784 @ 784x100 0-10% slower than
//   avx512 in 4 alternating rounds, the 64->64 Winograd forward 1.5-3.5%), so they keep the main tile, as
//   do those where the main tile holds all rows or the product is large: dW^T of conv 1->32,
//   9x784 @ (32x784)^T: avx512 7.5, 8x32 7.7 [14.3, 14.9]; 10x100^T @ 100x100: avx512 3.3, 8x32 3.4;
//   1024^3: avx512 15.1 ms, 8x32 20.5 ms.
// GatheredGemm (n unknown: a direct convolution, m output channels, C rows of width 28-32), fwd or dX
// of the conv benchmark's shapes on 2 threads, ms, two rounds: conv 3->16 dX (m = 3): 4x64 0.92-0.94,
// avx512 1.11-1.41, 12x16 1.15; its forward (m = 16): 8x32 0.29-0.41, avx512 0.40; conv 1->32 forward
// (m = 32): 12x16 0.52, 8x32 0.57-0.58, avx512 0.59-0.73; its dX (m = 1): 12x16 1.21-1.23, avx512 1.32,
// 4x64 1.37-1.38; LeNet conv1 forward (m = 6): avx512 0.16, others 0.20-0.21.
template <typename T>
const Isa& static_choice(int64_t m, int64_t n) {
    const Isa& active = kernel_tables().table();
    if (kernel_tables().active() != IsaLevel::avx512) return active;
    constexpr bool f64 = sizeof(T) == 8;
    const TileTables& t = tile_tables();
    if (n == 0) {  // GatheredGemm, chosen by its rows
        if (m <= 2 || (m > 16 && m <= 32)) return variant_or(t.t12x16, active);
        if (m <= 4) return variant_or(t.t4x64, active);
        if (m > 8 && m <= 16) return variant_or(t.t8x32, active);
        return active;
    }
    if (n > 4 && n <= 8) return variant_or(f64 ? t.t12x16 : t.avx2, active);
    if (n > 8 && n <= 16) return variant_or(f64 ? t.t8x32 : t.t12x16, active);
    return active;
}


// ---------------------------------------------------------------- measured choice (autotune.h)

// Products below this many multiply-adds are not tuned: they take about a microsecond, where timing is
// mostly noise and any variant will do.
constexpr double kMinTunedWork = 16.0 * 16 * 16;

bool gemm_tunes(double work) {
    return work >= kMinTunedWork && autotune::enabled() && !in_parallel_region() && !forced_variant.load() &&
           !scoped_variant.load();
}

template <typename T>
const char* dtype_name() {
    return sizeof(T) == 8 ? "float64" : "float32";
}

// Runs a product by the measured variant of its configuration `e` (op and sizes filled in), measuring every
// variant on this call first when the configuration is new. run(kr) computes the whole product with kr;
// restore puts C back (beta != 0) between measured runs.
template <typename T>
void run_tuned(autotune::Entry e, const std::function<void(const Kernels<T>&)>& run,
               const std::function<void()>& restore) {
    e.dtype = dtype_name<T>();
    e.threads = get_num_threads();
    if (autotune::lookup(e)) {
        if (const Isa* isa = runnable_variant(e.kernel)) return run(kernels_of<T>(*isa));
    }
    const std::vector<std::string> names = gemm_tuning_candidates();
    std::vector<const Isa*> isas;
    for (const std::string& name : names) isas.push_back(runnable_variant(name));
    std::vector<double> seconds;
    const size_t best =
        autotune::measure(isas.size(), [&](size_t i) { run(kernels_of<T>(*isas[i])); }, restore, seconds);
    e.kernel = names[best];
    for (size_t i = 0; i < names.size(); ++i) e.seconds.emplace_back(names[i], seconds[i]);
    autotune::store(e);
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
    const double work = double(m) * n * k;
    const Problem<T> pr = make_problem(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (!gemm_tunes(work) || alpha == T(0))
        return gemm_impl::gemm_run(kernels_for<T>(m, n, k), threads_for(work), pr);
    std::vector<T> saved(beta != T(0) ? static_cast<size_t>(m * n) : 0);
    for (int64_t i = 0; i < m && !saved.empty(); ++i)
        std::copy(c + i * ldc, c + i * ldc + n, saved.begin() + i * n);
    autotune::Entry e;
    e.op = "gemm";
    e.sizes = {{"m", m}, {"n", n}, {"k", k}, {"trans_a", trans_a}, {"trans_b", trans_b}};
    run_tuned<T>(
        e, [&](const Kernels<T>& kr) { gemm_impl::gemm_run(kr, threads_for(work), pr); },
        saved.empty() ? std::function<void()>() : [&] {
            for (int64_t i = 0; i < m; ++i)
                std::copy(saved.begin() + i * n, saved.begin() + (i + 1) * n, c + i * ldc);
        });
}

namespace {

template <typename T>
void gemm_batched_by(const Kernels<T>& kr, int64_t batch, const Problem<T>& first, int64_t stride_a,
                     int64_t stride_b, int64_t stride_c) {
    const double work = double(first.m) * first.n * first.k;
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
            gemm_impl::gemm_run(kr, 1, pr);
        }
        return;
    }
    for (int64_t i = 0; i < batch; ++i) {
        Problem<T> pr = first;
        pr.a += i * stride_a;
        pr.b += i * stride_b;
        pr.c += i * stride_c;
        gemm_impl::gemm_run(kr, per_product, pr);
    }
}

}  // namespace

template <typename T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                  const T* a, int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta,
                  T* c, int64_t ldc, int64_t stride_c) {
    const Problem<T> first = make_problem(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (!gemm_tunes(double(m) * n * k * batch) || alpha == T(0))
        return gemm_batched_by(kernels_for<T>(m, n, k), batch, first, stride_a, stride_b, stride_c);
    std::vector<T> saved(beta != T(0) ? static_cast<size_t>(batch * m * n) : 0);
    auto copy_c = [&](bool back) {
        for (int64_t p = 0; p < batch; ++p)
            for (int64_t i = 0; i < m; ++i) {
                T* row = c + p * stride_c + i * ldc;
                T* keep = saved.data() + (p * m + i) * n;
                back ? std::copy(keep, keep + n, row) : std::copy(row, row + n, keep);
            }
    };
    if (!saved.empty()) copy_c(false);
    autotune::Entry e;
    e.op = batch == 1 ? "gemm" : "gemm_batched";  // one product runs as gemm does
    e.sizes = {{"m", m}, {"n", n}, {"k", k}, {"trans_a", trans_a}, {"trans_b", trans_b}};
    if (batch != 1) e.sizes.insert(e.sizes.begin(), {"batch", batch});
    run_tuned<T>(
        e, [&](const Kernels<T>& kr) { gemm_batched_by(kr, batch, first, stride_a, stride_b, stride_c); },
        saved.empty() ? std::function<void()>() : [&] { copy_c(true); });
}

template <typename T>
GatheredGemm<T>::GatheredGemm(int64_t m, int64_t k, const T* a, int64_t lda) {
    const Kernels<T>& kr = kernels_for<T>(m, 0, k);
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

std::vector<std::string> gemm_kernel_variants() {
    std::vector<std::string> names;
    for (const Variant& v : all_variants())
        if (v.level <= isa_limit()) names.push_back(v.isa->name);
    return names;
}

std::vector<std::string> gemm_tuning_candidates() {
    std::vector<std::string> names = gemm_kernel_variants();
    if (names.size() > 1) names.erase(std::remove(names.begin(), names.end(), "generic"), names.end());
    return names;
}

void set_gemm_kernel(const std::string& name) {
    if (name == "auto") {
        forced_variant.store(nullptr);
        return;
    }
    const Variant* v = find_variant(name);
    if (v && v->level <= isa_limit()) {
        forced_variant.store(v);
        return;
    }
    std::string choices = "auto";
    for (const std::string& s : gemm_kernel_variants()) choices += ", " + s;
    throw std::invalid_argument("set_gemm_kernel: " +
                                std::string(v ? "this CPU/build or TENSORLITE_ISA cannot run '"
                                              : "unknown GEMM kernel variant '") +
                                name + "' (choices: " + choices + ")");
}

std::string gemm_kernel() {
    const Variant* v = forced_variant.load();
    return v ? v->isa->name : "auto";
}

GemmKernelScope::GemmKernelScope(const std::string& name) : previous_(scoped_variant.load()) {
    const Isa* isa = runnable_variant(name);
    if (!isa) throw std::invalid_argument("GemmKernelScope: kernel variant '" + name + "' cannot run here");
    scoped_variant.store(isa);
}

GemmKernelScope::~GemmKernelScope() { scoped_variant.store(static_cast<const Isa*>(previous_)); }

bool GemmKernelScope::active() { return scoped_variant.load() != nullptr; }

GemmBlocking gemm_blocking(bool float64) {
    const Variant* forced = forced_variant.load();
    const Isa* isa = forced ? forced->isa : &kernel_tables().table();
    auto blocking = [](const auto& kr) {
        return GemmBlocking{kr.mr, kr.nr, kr.mc, kr.kc, kr.nc, static_cast<int>(gemm_impl::kInPlaceAMaxDepth)};
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
