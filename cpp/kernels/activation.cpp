// Elementwise relu / sigmoid / tanh forward and fused backward (formulas in activation.h).
#include "kernels/activation.h"

#include <cmath>

#include "kernels/parallel.h"

namespace tl {

template <typename T>
void activation_forward(Activation kind, const T* x, T* y, int64_t n) {
    switch (kind) {
        case Activation::relu:
#pragma omp parallel for simd schedule(static) if (parallel : n > kCheapElementwiseParallelMin)
            for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : (x[i] != x[i] ? x[i] : T(0));
            break;
        case Activation::sigmoid:
#pragma omp parallel for schedule(static) if (n > kTranscendentalParallelMin)
            for (int64_t i = 0; i < n; ++i) {
                // Stable in both tails: never exponentiates a large positive number.
                if (x[i] >= T(0)) {
                    y[i] = T(1) / (T(1) + std::exp(-x[i]));
                } else {
                    const T e = std::exp(x[i]);
                    y[i] = e / (T(1) + e);
                }
            }
            break;
        case Activation::tanh:
#pragma omp parallel for schedule(static) if (n > kTranscendentalParallelMin)
            for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
            break;
    }
}

template <typename T>
void activation_backward(Activation kind, const T* saved, const T* dy, T* dx, int64_t n) {
    switch (kind) {
        case Activation::relu:
#pragma omp parallel for simd schedule(static) if (parallel : n > kCheapElementwiseParallelMin)
            // dy is loaded whatever the sign, so the select compiles to a mask instead of a branch (with
            // inputs of random sign the branch mispredicted half the time: 1.30 -> 0.14 ms on 301,056
            // float32 values, 1 thread).
            for (int64_t i = 0; i < n; ++i) {
                const T g = dy[i];
                dx[i] = saved[i] > T(0) ? g : T(0);
            }
            break;
        case Activation::sigmoid:
#pragma omp parallel for simd schedule(static) if (parallel : n > kCheapElementwiseParallelMin)
            for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * saved[i] * (T(1) - saved[i]);
            break;
        case Activation::tanh:
#pragma omp parallel for simd schedule(static) if (parallel : n > kCheapElementwiseParallelMin)
            for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (T(1) - saved[i] * saved[i]);
            break;
    }
}

template void activation_forward<float>(Activation, const float*, float*, int64_t);
template void activation_forward<double>(Activation, const double*, double*, int64_t);
template void activation_backward<float>(Activation, const float*, const float*, float*, int64_t);
template void activation_backward<double>(Activation, const double*, const double*, double*, int64_t);

}  // namespace tl
