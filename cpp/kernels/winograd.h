// Winograd F(2x2, 3x3) convolution: 3x3 kernel, stride 1, dilation 1, one group, NCHW, contiguous,
// float and double.
//   y[n, k, oh, ow] = b[k] + sum_{c, i, j} g[k, c, i, j] * x[n, c, oh - pad_h + i, ow - pad_w + j]
// with x read as 0 outside the input. Each 2x2 block of outputs (a tile, tiles on a stride-2 grid)
// reads a 4x4 input patch d, and
//   Y = A^T [ sum_c (G g_kc G^T) .* (B^T d_c B) ] A                    (.* elementwise, 4x4)
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
// The sum over c is 16 GEMMs, one per element e of the transformed 4x4 tile:
//   M_e (K x tiles) = U_e (K x C) V_e (C x tiles),  U_e[k, c] = (G g_kc G^T)_e,  V_e[c, t] = (B^T d_ct B)_e
// so a tile costs 16 multiplies per (k, c) instead of the 36 of a direct or im2col convolution.
// The weight gradient is the transpose of that computation (F(3x3, 2x2)): with dY the tile's 2x2 output
// gradient (0 outside out_h x out_w),
//   dg_kc = G^T [ sum_tiles (A dY_k A^T) .* (B^T d_c B) ] G
// again 16 GEMMs, one per element e, now with the tiles as their depth:
//   M_e (K x C) = Z_e (K x tiles) V_e^T (tiles x C),  Z_e[k, t] = (A dY_kt A^T)_e
// against the 36 multiplies per (k, c, tile) of im2col's dW = dY cols^T.
#pragma once
#include <cstdint>

namespace tl {

// x is batch x in_channels x in_h x in_w, y is batch x out_channels x out_h x out_w. The pads are the
// offsets of output (0, 0)'s window: any values, negative included (the adjoint convolution of
// backward-data reads its input at offset 2 - pad); the bottom/right padding is implied by out_h/out_w.
struct WinogradShape {
    int64_t batch, in_channels, in_h, in_w;
    int64_t out_channels, out_h, out_w;
    int64_t pad_h, pad_w;
};

// u (16 x out_channels x in_channels, element e of (k, c) at u[(e*K + k)*C + c]) := G g G^T for every
// 3x3 filter g. Forward (adjoint false): g = w[k, c] with w of shape (K, C, 3, 3).
// Adjoint (adjoint true, for dx = conv(dy, w')): g = w'[k, c] with w'[k, c, i, j] = w[c, k, 2 - i, 2 - j],
// w of shape (C, K, 3, 3) (the forward weight, whose output channels are this convolution's inputs).
template <typename T>
void winograd_weight(const T* w, int64_t out_channels, int64_t in_channels, bool adjoint, T* u);

// y := the convolution above with the filters given transformed in u (from winograd_weight) plus
// bias[k] (bias may be null). Tiles are processed in chunks sized to stay in cache, OpenMP over chunks;
// the result does not depend on the thread count. Returns false when some output is not finite: the
// transforms subtract values from each other, so an inf input (or weight) gives NaN (inf - inf) where the
// direct sum gives inf, and the caller reruns such a convolution by another algorithm.
template <typename T>
bool winograd_conv2d(const T* x, const T* u, const T* bias, T* y, const WinogradShape& s);

// dw (out_channels x in_channels x 3 x 3) := the gradient of the convolution above with respect to its
// filters, given x and dy (batch x out_channels x out_h x out_w):
//   dw[k, c, i, j] = sum_{n, oh, ow} dy[n, k, oh, ow] * x[n, c, oh - pad_h + i, ow - pad_w + j]
// Chunks of tiles as in winograd_conv2d, OpenMP over chunks with a partial sum per thread (summed in
// thread order at the end: the rounding depends on the thread count, as im2col's dW does). Returns false
// when some value of dw is not finite (see winograd_conv2d), for the caller to rerun it by im2col.
template <typename T>
bool winograd_weight_gradient(const T* x, const T* dy, T* dw, const WinogradShape& s);

}  // namespace tl
