// 2-D max, average and adaptive average pooling over contiguous planes (N*C planes of in_h x in_w),
// float and double; OpenMP over the planes. Window of output (oh, ow): rows oh*sh - ph + i*dh,
// columns ow*sw - pw + j*dw for taps i < kh, j < kw.
//   max:      y = max over the in-bounds taps (padding is -inf); the argmax (first maximum in
//             row-major window order, ih*in_w + iw within the plane) is stored for backward:
//             dx[argmax] += dy.
//   average:  y = sum of in-bounds taps / divisor (PyTorch's rule, dilation 1): the window clipped to
//             the padded input counts when count_include_pad, only in-bounds taps otherwise, or
//             divisor_override when > 0. Backward spreads dy / divisor evenly over the in-bounds taps.
//   adaptive: window rows [floor(oh*in_h/out_h), ceil((oh+1)*in_h/out_h)), likewise columns; y = mean.
#pragma once
#include <cstdint>

namespace tl {

struct PoolGeometry {
    int64_t planes, in_h, in_w, out_h, out_w;
    int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
};

// indices may be null when no backward is needed. A window with no in-bounds tap gives -inf, index -1.
template <typename T>
void max_pool2d_forward(const T* x, T* y, int64_t* indices, const PoolGeometry& g);

// dx := 0, then dx[plane][indices] += dy. Returns the number of indices outside the plane (skipped).
template <typename T>
int64_t max_pool2d_backward(const T* dy, const int64_t* indices, T* dx, const PoolGeometry& g);

template <typename T>
void avg_pool2d_forward(const T* x, T* y, const PoolGeometry& g, bool count_include_pad, int64_t divisor_override);

// dx := 0, then each dy spread evenly over its window's in-bounds taps.
template <typename T>
void avg_pool2d_backward(const T* dy, T* dx, const PoolGeometry& g, bool count_include_pad, int64_t divisor_override);

template <typename T>
void adaptive_avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                                 int64_t out_w);

template <typename T>
void adaptive_avg_pool2d_backward(const T* dy, T* dx, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                                  int64_t out_w);

}  // namespace tl
