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

// Up to this GEMM depth (C/groups*kh*kw), dW^T += cols * dY^T (depth x K/groups, summed over the output
// positions) runs as dot products (thin_weight_gradient) instead of a GEMM, whose register tiles (12-16 rows
// by 16-32 columns) would be mostly idle on a product this small in both dimensions. Measured 1 thread,
// float32, dW by im2col (or batched), dot products / GEMM: LeNet's 1->6 5x5 on (64, 1, 28, 28) (depth 25)
// 0.84 / 2.08 ms; 3->16 3x3 on (32, 3, 32, 32) (depth 27) 0.97 / 1.24 ms; MNIST-1D's 1->25 (1,5) (depth
// 5, batched) 0.069 / 0.090 ms; 1->32 3x3 on 28x28 (depth 9) even (1.05 ms); deeper ones lose: 25->25
// (1,3) (depth 75) 0.24 / 0.18 ms batched, 0.62 / 0.25 im2col; 6->16 5x5 (depth 150) 1.55 / 0.97 ms.
constexpr int64_t kThinWeightGradientMaxDepth = 32;

// acc[d*ld_acc + k] += sum_{q < width} cols[d*ld_cols + q] * dy[k*ld_dy + q] for d < depth, k < out_channels.
template <typename T>
void thin_weight_gradient(int64_t depth, int64_t out_channels, int64_t width, const T* cols, int64_t ld_cols,
                          const T* dy, int64_t ld_dy, T* acc, int64_t ld_acc);

// y := conv2d(x, w) + bias (bias may be null) by the batched-columns path.
template <typename T>
void conv2d_forward_batched(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g);

// dx and dw (either may be null; the ones given are overwritten) by the batched-columns path.
template <typename T>
void conv2d_backward_batched(const T* x, const T* w, const T* dy, T* dx, T* dw, const ConvGeometry& g);

}  // namespace tl
