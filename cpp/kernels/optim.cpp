// Which build of the fused optimizer updates runs (optim_isa.h, chosen through cpu_features.h), and the
// gradient-norm reduction (formulas in optim.h).
#include "kernels/optim.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/optim_isa.h"
#include "kernels/parallel.h"

#ifdef TENSORLITE_OPENMP
#include <omp.h>
#endif

namespace tl {
namespace {


// Indexed by IsaLevel: generic, avx2, and no avx512 build (optim_isa.h says why).
IsaDispatch<optim_impl::Table>& builds() {
    static IsaDispatch<optim_impl::Table> tables(
        "set_optim_isa", {optim_impl::generic::table(), optim_impl::avx2::table(), nullptr});
    return tables;
}

}  // namespace

template <typename T>
const OptimKernels<T>& optim_kernels() {
    const optim_impl::Table& table = builds().table();
    if constexpr (std::is_same_v<T, float>) return table.f32;
    else return table.f64;
}
template const OptimKernels<float>& optim_kernels<float>();
template const OptimKernels<double>& optim_kernels<double>();

std::string optim_isa() { return isa_name(builds().active()); }

std::vector<std::string> optim_available_isas() { return builds().available(); }

void set_optim_isa(const std::string& name) { builds().set(name); }

namespace {

// The part [begin, end) of an n-element array that the calling thread of a parallel region reduces: a
// static split, so a fixed thread count gives a fixed summation order.
inline void thread_range(int64_t n, int64_t& begin, int64_t& end) {
    int tid = 0, threads = 1;
#ifdef TENSORLITE_OPENMP
    tid = omp_get_thread_num();
    threads = omp_get_num_threads();
#endif
    begin = n * tid / threads;
    end = n * (tid + 1) / threads;
}

template <typename T, typename Accumulate>
double reduce_all(const T* const* arrays, const int64_t* sizes, int64_t count, bool parallel, Accumulate&& acc) {
    double total = 0.0;
#pragma omp parallel reduction(+ : total) if (parallel)
    {
        for (int64_t k = 0; k < count; ++k) {
            int64_t begin, end;
            thread_range(sizes[k], begin, end);
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
    const bool parallel = elements > kOptimParallelMin;
    if (std::isinf(norm_type)) {
        // Max of |x| as a sum-reduction of per-thread maxima would be wrong; reduce maxima and NaN
        // flags per thread, then combine.
        double best = 0.0;
        bool any_nan = false;
#pragma omp parallel reduction(max : best) reduction(|| : any_nan) if (parallel)
        {
            for (int64_t k = 0; k < count; ++k) {
                int64_t begin, end;
                thread_range(sizes[k], begin, end);
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

template double grad_norm_partial<float>(const float* const*, const int64_t*, int64_t, double);
template double grad_norm_partial<double>(const double* const*, const int64_t*, int64_t, double);

}  // namespace tl
