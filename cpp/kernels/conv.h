// 2-D convolution (cross-correlation, PyTorch's conv2d), NCHW, contiguous, float and double.
//   y[n, k, oh, ow] = b[k] + sum_{c, i, j} W[k, c, i, j] * x[n, g*Cg + c, oh*sh - ph + i*dh, ow*sw - pw +
//   j*dw]
// where g = k / (K / groups), Cg = C / groups, and x reads as 0 outside the input (zero padding; the
// bottom/right padding is implied by out_h/out_w, so asymmetric "same" padding works).
// Computed as a GEMM per image and group: Y_g (Kg x P) = W_g (Kg x Cg*kh*kw) * cols_g, with P = out_h*out_w
// and cols (C*kh*kw x P) holding every receptive field as a column; with horizontal stride 1 the GEMM
// reads the columns in place from a padded copy of the input (the direct path), otherwise im2col builds
// them.
// Backward: dW_g += dY_g * cols_g^T (per-thread partial sums, reduced at the end), dcols_g = W_g^T * dY_g
// then dX = col2im(dcols) (accumulating overlapping windows), db[k] = sum over n, oh, ow of dY. With both
// strides 1, dX is instead the direct convolution of dY with the flipped, transposed weights.
// For stride 1, dilation 1, one group and 3x3 kernels with enough channels, the forward pass and dX
// run Winograd F(2x2, 3x3) instead (winograd.h), dX as the adjoint convolution
//   dx = conv2d(dy, w') with w'[c, k, i, j] = w[k, c, 2 - i, 2 - j] and padding 2 - pad;
// dW runs Winograd's transpose, F(3x3, 2x2), where that pays, else im2col + GEMM. For small images every
// pass may instead build the columns of several images side by side and run one GEMM per block of images
// (the batched path, conv_batched.cpp).
// conv2d_algorithm says which one a pass takes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tl {

struct ConvGeometry {
    int64_t batch, in_channels, in_h, in_w;
    int64_t out_channels, kernel_h, kernel_w;
    int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
    int64_t groups;
    int64_t out_h, out_w;
};

// The algorithm a pass of conv2d runs: the forward pass (y), the backward-data pass (dx) or the
// backward-weight pass (dw).
enum class ConvPass { forward, backward_data, backward_weight };
// batched: the columns of several small images side by side, one GEMM per block of images
// (conv_batched.cpp); it, winograd and im2col compute every pass, direct only forward and dx.
enum class ConvAlgorithm { im2col, direct, winograd, batched };

// Which algorithm conv2d_forward / conv2d_backward run for `pass` of this geometry: the measured choice
// among the algorithms that apply (conv_algorithm.cpp), unless set_conv2d_algorithm overrides it.
ConvAlgorithm conv2d_algorithm(const ConvGeometry& g, ConvPass pass);
const char* conv_algorithm_name(ConvAlgorithm a);

// Whether each algorithm can compute `pass` of this geometry (im2col always can): the candidates of a
// measured choice.
// Winograd F(2x2, 3x3): 3x3, stride 1, dilation 1, one group; every pass.
bool winograd_applies(const ConvGeometry& g, ConvPass pass);
// Direct: horizontal stride 1 (dx: both strides 1 and at least 3 input channels per group), not a 1x1
// unpadded stride-1 convolution, and a padded band not much larger than the input and output; forward
// and dx.
bool direct_applies(const ConvGeometry& g, ConvPass pass);
// Batched columns: one image's columns and outputs, (C*kh*kw + K) x out_h*out_w values, within the block
// budget (kBatchedBlockValues in conv_batched.h); every pass.
bool batched_columns_applies(const ConvGeometry& g, ConvPass pass);

// The algorithms that can compute `pass` of this geometry (the predicates below; the direct path for dX
// also below the rule's channel threshold), the rule's choice conv2d_algorithm first: what the autotuner
// (autotune.h) times.
std::vector<ConvAlgorithm> conv2d_candidates(const ConvGeometry& g, ConvPass pass);

// The algorithm a pass reruns by when Winograd's result is not finite (see conv2d_forward): the automatic
// choice without Winograd (the forced one when set_conv2d_algorithm forces direct or batched and it
// applies), else im2col.
ConvAlgorithm conv2d_fallback_algorithm(const ConvGeometry& g, ConvPass pass);

// For stride 1, dX = conv2d(dY, W') with W'[c, k, i, j] = W[k, c, kh-1-i, kw-1-j] (per group): the
// geometry of that convolution (dY its input, dX its output, padding (k-1)*d - p).
ConvGeometry conv2d_adjoint_geometry(const ConvGeometry& g);

// A 1x1, stride-1, unpadded convolution: each image is already its own column matrix.
bool conv2d_image_is_columns(const ConvGeometry& g);

// "auto" (the measured choice), "im2col" (always), "direct" or "batched" (wherever it applies, see
// direct_applies / batched_columns_applies; else im2col) or "winograd" (wherever it applies; else the
// automatic choice), for tests and benchmarks; std::invalid_argument for
// another name.
void set_conv2d_algorithm(const std::string& name);
std::string conv2d_algorithm_override();

// An output tile of one image: rows [oh0, oh1) x columns [ow0, ow1), either whole rows (ow0 = 0,
// ow1 = out_w) or part of one row, so that its outputs are contiguous in y.
struct ConvTile {
    int64_t oh0, oh1, ow0, ow1;
    int64_t width() const { return (oh1 - oh0) * (ow1 - ow0); }
};

// cols (C*kh*kw rows x tile.width() columns, row stride ld, 0 for tile.width()) := the receptive fields of
// the tile's outputs in one image (C x in_h x in_w). Row (c*kh + i)*kw + j holds tap (i, j) of channel c.
template <typename T>
void im2col(const T* image, const ConvGeometry& g, const ConvTile& tile, T* cols, int64_t ld = 0);

// image += the tile's columns (row stride ld, 0 for tile.width()) scattered back to their input positions
// (the adjoint of im2col: overlapping windows accumulate).
template <typename T>
void col2im(const T* cols, const ConvGeometry& g, const ConvTile& tile, T* image, int64_t ld = 0);

// y (N x K x out_h x out_w) := conv2d(x, w) + bias; bias may be null. With tuning on (autotune.h), by the
// measured (algorithm, GEMM kernel variant) of this configuration, else by conv2d_algorithm.
template <typename T>
void conv2d_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g);

// Gradients of conv2d given dy (N x K x out_h x out_w). dx, dw and db may each be null (not needed);
// the ones given are overwritten. Tuned as conv2d_forward is (dX's and dW's algorithms and the variant of
// all GEMMs).
template <typename T>
void conv2d_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const ConvGeometry& g);

// The two passes by given algorithms for y, dX and dW (each one of conv2d_candidates of its pass; a
// non-finite Winograd result still reruns by conv2d_fallback_algorithm).
template <typename T>
void conv2d_forward_by(ConvAlgorithm algorithm, const T* x, const T* w, const T* bias, T* y,
                       const ConvGeometry& g);
template <typename T>
void conv2d_backward_by(ConvAlgorithm dx_algorithm, ConvAlgorithm dw_algorithm, const T* x, const T* w,
                        const T* dy, T* dx, T* dw, T* db, const ConvGeometry& g);

}  // namespace tl
