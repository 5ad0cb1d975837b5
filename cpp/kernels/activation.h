// Elementwise activations over n contiguous values.
//   relu(x) = max(x, 0)                 backward: dx = dy * [x > 0]
//   sigmoid(x) = 1 / (1 + exp(-x))      backward: dx = dy * y * (1 - y)
//   tanh(x)                             backward: dx = dy * (1 - y^2)
#pragma once
#include <cstdint>

namespace tl {

enum class Activation { relu, sigmoid, tanh };

template <typename T>
void activation_forward(Activation kind, const T* x, T* y, int64_t n);

// `saved` is x for relu and y for sigmoid/tanh.
template <typename T>
void activation_backward(Activation kind, const T* saved, const T* dy, T* dx, int64_t n);

}  // namespace tl
