// GEMM entry points: C := alpha * op(A) * op(B) + beta * C (gemm, gemm_batched) and products with B
// gathered in place (GatheredGemm), row-major, float and double; and the choice of kernels. The
// microkernels, packing routines and GEMV primitives come from one per-ISA table (gemm_isa.h) chosen at
// load time from CPUID. The loops around them: gemm_driver.cpp (plan: gemm_plan.cpp). Many small batched
// products run one per thread.
#include "kernels/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "kernels/gemm_driver.h"
#include "kernels/gemm_isa.h"
#include "kernels/gemm_plan.h"

namespace tl {
namespace {

using gemm_impl::ceil_div;
using gemm_impl::even_block;
using gemm_impl::Isa;
using gemm_impl::Kernels;
using gemm_impl::Problem;
using gemm_impl::threads_for;

// ---------------------------------------------------------------- ISA selection

bool cpu_supports(const std::string& name) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (name == "avx512") return __builtin_cpu_supports("avx512f");
    if (name == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return name == "generic";
}

// The kernel table for `name` when both this build and this CPU support it, else nullptr.
const Isa* runnable_isa(const std::string& name) {
    const Isa* isa = name == "avx512"  ? gemm_impl::avx512_kernels()
                     : name == "avx2"  ? gemm_impl::avx2_kernels()
                     : name == "generic" ? gemm_impl::generic_kernels()
                                       : nullptr;
    return isa && cpu_supports(name) ? isa : nullptr;
}

const char* const kIsaNames[] = {"avx512", "avx2", "generic"};

const Isa* best_isa() {
    for (const char* name : kIsaNames)
        if (const Isa* isa = runnable_isa(name)) return isa;
    return gemm_impl::generic_kernels();
}

// The best ISA, or the one TENSORLITE_ISA names; an unknown or unsupported name falls back to the best
// with a message on stderr (a bad environment variable should not make `import tensorlite` fail).
const Isa* initial_isa() {
    const char* env = std::getenv("TENSORLITE_ISA");
    if (!env || !*env) return best_isa();
    if (const Isa* isa = runnable_isa(env)) return isa;
    std::fprintf(stderr, "tensorlite: TENSORLITE_ISA=%s is not available on this CPU/build (choices: %s); using %s\n",
                 env, "avx512, avx2, generic", best_isa()->name);
    return best_isa();
}

std::atomic<const Isa*>& active_isa_slot() {
    static std::atomic<const Isa*> slot{initial_isa()};
    return slot;
}

template <typename T>
const Kernels<T>& active_kernels();
template <>
const Kernels<float>& active_kernels<float>() {
    return active_isa_slot().load()->f32;
}
template <>
const Kernels<double>& active_kernels<double>() {
    return active_isa_slot().load()->f64;
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
    gemm_impl::gemm_run(active_kernels<T>(), threads_for(double(m) * n * k),
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
            gemm_impl::gemm_run(active_kernels<T>(), 1, pr);
        }
        return;
    }
    for (int64_t i = 0; i < batch; ++i) {
        Problem<T> pr = first;
        pr.a += i * stride_a;
        pr.b += i * stride_b;
        pr.c += i * stride_c;
        gemm_impl::gemm_run(active_kernels<T>(), per_product, pr);
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

std::string gemm_isa() { return active_isa_slot().load()->name; }

std::vector<std::string> gemm_available_isas() {
    std::vector<std::string> names;
    for (const char* name : kIsaNames)
        if (runnable_isa(name)) names.push_back(name);
    return names;
}

void set_gemm_isa(const std::string& name) {
    const Isa* isa = runnable_isa(name);
    if (!isa) {
        std::string choices;
        for (const std::string& s : gemm_available_isas()) choices += (choices.empty() ? "" : ", ") + s;
        throw std::invalid_argument("set_gemm_isa: '" + name + "' is not available on this CPU/build (available: " +
                                    choices + ")");
    }
    active_isa_slot().store(isa);
}

GemmBlocking gemm_blocking(bool float64) {
    const Isa* isa = active_isa_slot().load();
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
