// Row-wise softmax / log-softmax forward and backward (see softmax.h for the formulas).
#include "kernels/softmax.h"

#include <cmath>
#include <limits>

#include "kernels/parallel.h"

namespace tl {

template <typename T>
void softmax_forward(const T* x, T* y, int64_t rows, int64_t cols, bool log) {
    if (rows == 0 || cols == 0) return;  // empty: nothing to loop over (rows may be huge)
#pragma omp parallel for schedule(static) if (rows * cols > kSoftmaxParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
        const T* xr = x + r * cols;
        T* yr = y + r * cols;
        T mx = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j < cols; ++j) mx = xr[j] > mx ? xr[j] : mx;
        if (std::isinf(mx) && mx < 0) mx = T(0);  // a row of -inf: keep exp finite (gives NaN like torch)
        if (std::isnan(mx)) mx = T(0);
        T sum = 0;
        if (log) {
            for (int64_t j = 0; j < cols; ++j) sum += std::exp(xr[j] - mx);
            // (x - max) - log(sum), not x - (max + log(sum)): keeps full precision when |max| is large.
            const T log_sum = std::log(sum);
            for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - mx) - log_sum;
        } else {
            for (int64_t j = 0; j < cols; ++j) {
                yr[j] = std::exp(xr[j] - mx);
                sum += yr[j];
            }
            const T inv = T(1) / sum;
            for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
        }
    }
}

template <typename T>
void softmax_backward(const T* y, const T* dy, T* dx, int64_t rows, int64_t cols, bool log) {
    if (rows == 0 || cols == 0) return;
#pragma omp parallel for schedule(static) if (rows * cols > kSoftmaxParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
        const T* yr = y + r * cols;
        const T* dyr = dy + r * cols;
        T* dxr = dx + r * cols;
        T s = 0;
        if (log) {
            for (int64_t j = 0; j < cols; ++j) s += dyr[j];
            for (int64_t j = 0; j < cols; ++j) dxr[j] = dyr[j] - std::exp(yr[j]) * s;
        } else {
            for (int64_t j = 0; j < cols; ++j) s += dyr[j] * yr[j];
            for (int64_t j = 0; j < cols; ++j) dxr[j] = yr[j] * (dyr[j] - s);
        }
    }
}

template void softmax_forward<float>(const float*, float*, int64_t, int64_t, bool);
template void softmax_forward<double>(const double*, double*, int64_t, int64_t, bool);
template void softmax_backward<float>(const float*, const float*, float*, int64_t, int64_t, bool);
template void softmax_backward<double>(const double*, const double*, double*, int64_t, int64_t, bool);

}  // namespace tl
