// Elementwise activations that take parameters (a, b), forward and backward from the saved input x.
//   leaky_relu(a = slope):   y = x > 0 ? x : a x                      dy/dx = x > 0 ? 1 : a
//   elu(a = alpha):          y = x > 0 ? x : a (exp(x) - 1)           dy/dx = x > 0 ? 1 : a exp(x)
//   selu:                    y = scale * elu(x, alpha) with PyTorch's alpha = 1.6732632423543772,
//                            scale = 1.0507009873554805
//   gelu:                    y = x Phi(x) = x/2 (1 + erf(x / sqrt 2))  dy/dx = Phi(x) + x phi(x)
//   gelu_tanh:               y = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
//   softplus(a = beta, b = threshold):
//                            y = beta x > threshold ? x : log(1 + exp(beta x)) / beta
//                            dy/dx = beta x > threshold ? 1 : sigmoid(beta x)
#pragma once
#include <cstdint>

namespace tl {

enum class ParametricActivation { leaky_relu, elu, selu, gelu, gelu_tanh, softplus };

template <typename T>
void parametric_activation_forward(ParametricActivation kind, const T* x, T* y, int64_t n, double a, double b);

// dx = dy * f'(x)
template <typename T>
void parametric_activation_backward(ParametricActivation kind, const T* x, const T* dy, T* dx, int64_t n,
                                    double a, double b);

}  // namespace tl
