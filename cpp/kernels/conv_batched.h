// The batched-columns path of conv2d (conv_batched.cpp): the columns of several small images side by side,
// one GEMM per block of images. conv2d_forward / conv2d_backward call it where conv2d_algorithm chooses it.
#pragma once
#include <cstdint>

#include "kernels/conv.h"

namespace tl {

// Values of one block's columns and its Y / dY block together, (C*kh*kw + K) x nb*P: 256 KiB in float32,
// so that they stay in the L2 cache (1-2 MiB per core) between im2col writing them and the GEMM packing
// them. An image whose own block exceeds it takes the tiled paths (batched_columns_applies).
constexpr int64_t kBatchedBlockValues = 262144;

// y := conv2d(x, w) + bias (bias may be null) by the batched-columns path.
template <typename T>
void conv2d_forward_batched(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g);

// dx and dw (either may be null; the ones given are overwritten) by the batched-columns path.
template <typename T>
void conv2d_backward_batched(const T* x, const T* w, const T* dy, T* dx, T* dw, const ConvGeometry& g);

}  // namespace tl
