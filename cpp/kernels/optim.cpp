// Fused optimizer updates and the gradient-norm reduction (formulas in optim.h).
// The update loops (optim_loops.h) exist twice: built for the baseline ISA here and for AVX2 + FMA in
// optim_avx2.cpp; each call takes the AVX2 build when this CPU has AVX2 and FMA, unless
// TENSORLITE_ISA=generic or set_optim_isa("generic") asks for the portable one.
#include "kernels/optim.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/optim_isa.h"
#include "kernels/runtime.h"

#ifdef TENSORLITE_OPENMP
#include <omp.h>
#endif

namespace tl {

namespace optim_generic {
#include "kernels/optim_loops.h"
}  // namespace optim_generic

namespace {

bool avx2_runnable() {
    const std::string isa = detect_cpu_isa();
    return optim_avx2::built() && (isa == "avx2" || isa == "avx512");
}

bool initial_use_avx2() {
    const char* env = std::getenv("TENSORLITE_ISA");
    return avx2_runnable() && !(env && std::string(env) == "generic");
}

std::atomic<bool>& use_avx2() {
    static std::atomic<bool> flag{initial_use_avx2()};
    return flag;
}

constexpr int64_t kParallelThreshold = 32768;

}  // namespace

std::string optim_isa() { return use_avx2().load() ? "avx2" : "generic"; }

void set_optim_isa(const std::string& name) {
    if (name == "avx2" && !avx2_runnable())
        throw std::invalid_argument("set_optim_isa: avx2 is not available on this CPU or build");
    if (name != "avx2" && name != "generic")
        throw std::invalid_argument("set_optim_isa: unknown instruction set '" + name + "' (avx2 or generic)");
    use_avx2().store(name == "avx2");
}

#define TL_OPTIM_DISPATCH(fn, ...) \
    (use_avx2().load(std::memory_order_relaxed) ? optim_avx2::fn<T>(__VA_ARGS__) : optim_generic::fn<T>(__VA_ARGS__))

template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buf, int64_t n, const SgdHyper& h) {
    TL_OPTIM_DISPATCH(sgd_step, param, grad, momentum_buf, n, h);
}

template <typename T>
void momentum_step(T* param, const T* grad, T* velocity, int64_t n, double lr, double mu) {
    TL_OPTIM_DISPATCH(momentum_step, param, grad, velocity, n, lr, mu);
}

template <typename T>
void adagrad_step(T* param, const T* grad, T* sum, int64_t n, const AdagradHyper& h) {
    TL_OPTIM_DISPATCH(adagrad_step, param, grad, sum, n, h);
}

template <typename T>
void rmsprop_step(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buf, int64_t n,
                  const RmspropHyper& h) {
    TL_OPTIM_DISPATCH(rmsprop_step, param, grad, square_avg, grad_avg, momentum_buf, n, h);
}

template <typename T>
void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
               const AdamHyper& h) {
    TL_OPTIM_DISPATCH(adam_step, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, h);
}

template <typename T>
void adadelta_step(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n, const AdadeltaHyper& h) {
    TL_OPTIM_DISPATCH(adadelta_step, param, grad, square_avg, acc_delta, n, h);
}

#undef TL_OPTIM_DISPATCH

namespace {

// The part of one array that thread `tid` of `threads` reduces: a static split, so a fixed thread
// count gives a fixed summation order.
inline void thread_range(int64_t n, int tid, int threads, int64_t& begin, int64_t& end) {
    begin = n * tid / threads;
    end = n * (tid + 1) / threads;
}

template <typename T, typename Accumulate>
double reduce_all(const T* const* arrays, const int64_t* sizes, int64_t count, bool parallel, Accumulate&& acc) {
    double total = 0.0;
#pragma omp parallel reduction(+ : total) if (parallel)
    {
        int tid = 0, threads = 1;
#ifdef TENSORLITE_OPENMP
        tid = omp_get_thread_num();
        threads = omp_get_num_threads();
#endif
        for (int64_t k = 0; k < count; ++k) {
            int64_t begin, end;
            thread_range(sizes[k], tid, threads, begin, end);
            total += acc(arrays[k], begin, end);
        }
    }
    return total;
}

}  // namespace

template <typename T>
double grad_norm_partial(const T* const* arrays, const int64_t* sizes, int64_t count, double norm_type) {
    int64_t elements = 0;
    for (int64_t k = 0; k < count; ++k) elements += sizes[k];
    const bool parallel = elements > kParallelThreshold;
    if (std::isinf(norm_type)) {
        // Max of |x| as a sum-reduction of per-thread maxima would be wrong; reduce maxima and NaN
        // flags per thread, then combine.
        double best = 0.0;
        bool any_nan = false;
#pragma omp parallel reduction(max : best) reduction(|| : any_nan) if (parallel)
        {
            int tid = 0, threads = 1;
#ifdef TENSORLITE_OPENMP
            tid = omp_get_thread_num();
            threads = omp_get_num_threads();
#endif
            for (int64_t k = 0; k < count; ++k) {
                int64_t begin, end;
                thread_range(sizes[k], tid, threads, begin, end);
                const T* x = arrays[k];
                T m = T(0);
                bool nan = false;
#pragma omp simd reduction(max : m) reduction(|| : nan)
                for (int64_t i = begin; i < end; ++i) {
                    const T a = std::fabs(x[i]);
                    m = a > m ? a : m;
                    nan = nan || (x[i] != x[i]);
                }
                best = std::fmax(best, double(m));
                any_nan = any_nan || nan;
            }
        }
        return any_nan ? std::numeric_limits<double>::quiet_NaN() : best;
    }
    if (norm_type == 2.0) {
        return reduce_all(arrays, sizes, count, parallel, [](const T* x, int64_t begin, int64_t end) {
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (int64_t i = begin; i < end; ++i) s += double(x[i]) * double(x[i]);
            return s;
        });
    }
    if (norm_type == 1.0) {
        return reduce_all(arrays, sizes, count, parallel, [](const T* x, int64_t begin, int64_t end) {
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (int64_t i = begin; i < end; ++i) s += std::fabs(double(x[i]));
            return s;
        });
    }
    return reduce_all(arrays, sizes, count, parallel, [norm_type](const T* x, int64_t begin, int64_t end) {
        double s = 0.0;
        for (int64_t i = begin; i < end; ++i) s += std::pow(std::fabs(double(x[i])), norm_type);
        return s;
    });
}

#define TL_INSTANTIATE_OPTIM(T)                                                                         \
    template void sgd_step<T>(T*, const T*, T*, int64_t, const SgdHyper&);                              \
    template void momentum_step<T>(T*, const T*, T*, int64_t, double, double);                          \
    template void adagrad_step<T>(T*, const T*, T*, int64_t, const AdagradHyper&);                      \
    template void rmsprop_step<T>(T*, const T*, T*, T*, T*, int64_t, const RmspropHyper&);              \
    template void adam_step<T>(T*, const T*, T*, T*, T*, int64_t, const AdamHyper&);                    \
    template void adadelta_step<T>(T*, const T*, T*, T*, int64_t, const AdadeltaHyper&);                \
    template double grad_norm_partial<T>(const T* const*, const int64_t*, int64_t, double);

TL_INSTANTIATE_OPTIM(float)
TL_INSTANTIATE_OPTIM(double)

}  // namespace tl
