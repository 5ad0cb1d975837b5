// Row-wise softmax and log-softmax over the last axis of a contiguous rows x cols array.
//   softmax:      y_j = exp(x_j - max x) / sum_i exp(x_i - max x)
//   log_softmax:  y_j = (x_j - max x) - log sum_i exp(x_i - max x)
// Backward:       softmax:     dx = y * (dy - sum(dy * y))
//                 log_softmax: dx = dy - exp(y) * sum(dy)
#pragma once
#include <cstdint>

namespace tl {

template <typename T>
void softmax_forward(const T* x, T* y, int64_t rows, int64_t cols, bool log);

template <typename T>
void softmax_backward(const T* y, const T* dy, T* dx, int64_t rows, int64_t cols, bool log);

}  // namespace tl
