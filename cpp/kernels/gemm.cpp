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

// The variant set_gemm_kernel forces, and the one a GemmKernelScope runs (nullptr: none).
std::atomic<const Isa*> forced_variant{nullptr};
std::atomic<const Isa*> scoped_variant{nullptr};

// The variants that may run here, best first (fixed for the process: the build, the CPU and isa_limit()).
const std::vector<const Isa*>& runnable_variants() {
    static const std::vector<const Isa*> variants = [] {
        const std::vector<std::string> names = kernel_tables().available();
        std::vector<const Isa*> out;
        for (const Isa* isa :
             {gemm_impl::avx512_kernels(), gemm_impl::avx2_kernels(), gemm_impl::generic_kernels()})
            if (isa && std::find(names.begin(), names.end(), isa->name) != names.end()) out.push_back(isa);
        return out;
    }();
    return variants;
}

// The variant named `name` if it may run here, else nullptr.
const Isa* runnable_variant(const std::string& name) {
    for (const Isa* isa : runnable_variants())
        if (name == isa->name) return isa;
    return nullptr;
}

// The kernels for one m x n x k product: the forced variant if set; else the scope's (a measured choice,
// or a candidate being timed); else the active instruction set's table.
template <typename T>
const Kernels<T>& kernels_for(int64_t /*m*/, int64_t /*n*/, int64_t /*k*/) {
    const Isa* isa = forced_variant.load(std::memory_order_relaxed);
    if (!isa) isa = scoped_variant.load(std::memory_order_relaxed);
    return kernels_of<T>(isa ? *isa : kernel_tables().table());
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
    for (const Isa* isa : runnable_variants()) names.emplace_back(isa->name);
    return names;
}

std::vector<std::string> gemm_tuning_candidates() {
    std::vector<std::string> names = gemm_kernel_variants();
    if (names.size() > 1) names.erase(std::remove(names.begin(), names.end(), "generic"), names.end());
    return names;
}

void set_gemm_kernel(const std::string& name) {
    if (name == "auto") return forced_variant.store(nullptr);
    const Isa* isa = runnable_variant(name);
    if (!isa) {
        std::string choices = "auto";
        for (const std::string& v : gemm_kernel_variants()) choices += ", " + v;
        throw std::invalid_argument("set_gemm_kernel: unknown or unavailable kernel variant '" + name +
                                    "' (available: " + choices + ")");
    }
    forced_variant.store(isa);
}

std::string gemm_kernel() {
    const Isa* isa = forced_variant.load();
    return isa ? isa->name : "auto";
}

GemmKernelScope::GemmKernelScope(const std::string& name) : previous_(scoped_variant.load()) {
    const Isa* isa = runnable_variant(name);
    if (!isa) throw std::invalid_argument("GemmKernelScope: kernel variant '" + name + "' cannot run here");
    scoped_variant.store(isa);
}

GemmKernelScope::~GemmKernelScope() { scoped_variant.store(static_cast<const Isa*>(previous_)); }

bool GemmKernelScope::active() { return scoped_variant.load() != nullptr; }

GemmBlocking gemm_blocking(bool float64) {
    const Isa* isa = &kernel_tables().table();
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
