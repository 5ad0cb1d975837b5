// Parametric elementwise activations (formulas in parametric_activation.h). Each element is computed in
// T; the transcendental calls (exp, erf, tanh, log1p) are std:: overloads for float and double.
#include "kernels/parametric_activation.h"

#include <cmath>

#include "kernels/parallel.h"

namespace tl {

namespace {

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSqrt2OverPi = 0.79788456080286535587989211986876;
constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
constexpr double kInvSqrt2Pi = 0.39894228040143267793994605993438;
constexpr double kGeluCubic = 0.044715;

template <typename T>
T forward_one(ParametricActivation kind, T x, T a, T b) {
    switch (kind) {
        case ParametricActivation::leaky_relu:
            return x > T(0) ? x : a * x;
        case ParametricActivation::elu:
            return x > T(0) ? x : a * std::expm1(x);
        case ParametricActivation::selu:
            return T(kSeluScale) * (x > T(0) ? x : T(kSeluAlpha) * std::expm1(x));
        case ParametricActivation::gelu:
            return T(0.5) * x * (T(1) + std::erf(x * T(kInvSqrt2)));
        case ParametricActivation::gelu_tanh:
            return T(0.5) * x * (T(1) + std::tanh(T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x)));
        case ParametricActivation::softplus: {
            const T z = a * x;
            return z > b ? x : std::log1p(std::exp(z)) / a;
        }
    }
    return x;
}

template <typename T>
T derivative_one(ParametricActivation kind, T x, T a, T b) {
    switch (kind) {
        case ParametricActivation::leaky_relu:
            return x > T(0) ? T(1) : a;
        case ParametricActivation::elu:
            return x > T(0) ? T(1) : a * std::exp(x);
        case ParametricActivation::selu:
            return x > T(0) ? T(kSeluScale) : T(kSeluScale * kSeluAlpha) * std::exp(x);
        case ParametricActivation::gelu: {
            const T cdf = T(0.5) * (T(1) + std::erf(x * T(kInvSqrt2)));
            return cdf + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
        }
        case ParametricActivation::gelu_tanh: {
            const T t = std::tanh(T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x));
            const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * x * x);
            return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
        }
        case ParametricActivation::softplus: {
            const T z = a * x;
            if (z > b) return T(1);
            return z >= T(0) ? T(1) / (T(1) + std::exp(-z)) : std::exp(z) / (T(1) + std::exp(z));
        }
    }
    return T(1);
}

}  // namespace

template <typename T>
void parametric_activation_forward(ParametricActivation kind, const T* x, T* y, int64_t n, double a, double b) {
    const T ta = static_cast<T>(a), tb = static_cast<T>(b);
#pragma omp parallel for schedule(static) if (n > kTranscendentalParallelMin)
    for (int64_t i = 0; i < n; ++i) y[i] = forward_one(kind, x[i], ta, tb);
}

template <typename T>
void parametric_activation_backward(ParametricActivation kind, const T* x, const T* dy, T* dx, int64_t n,
                                    double a, double b) {
    const T ta = static_cast<T>(a), tb = static_cast<T>(b);
#pragma omp parallel for schedule(static) if (n > kTranscendentalParallelMin)
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * derivative_one(kind, x[i], ta, tb);
}

template void parametric_activation_forward<float>(ParametricActivation, const float*, float*, int64_t, double,
                                                   double);
template void parametric_activation_forward<double>(ParametricActivation, const double*, double*, int64_t,
                                                    double, double);
template void parametric_activation_backward<float>(ParametricActivation, const float*, const float*, float*,
                                                    int64_t, double, double);
template void parametric_activation_backward<double>(ParametricActivation, const double*, const double*,
                                                     double*, int64_t, double, double);

}  // namespace tl
