// conv2d forward and backward (formulas and layout in conv.h) by a given algorithm (conv2d_forward_by,
// conv2d_backward_by; conv_tune.cpp chooses it: by rule, conv2d_algorithm, or by measurement). Four:
//
// Winograd F(2x2, 3x3) (winograd.h): the forward pass, dX and (transposed) dW of 3x3 stride-1
// convolutions where it pays (winograd_pays in conv_algorithm.cpp, which also holds the rest of the choice).
//
// Direct (horizontal stride 1 or 2, not 1x1): no column matrix. Each image's input rows are copied, zero
// padded, into a small band buffer, and a GEMM whose B operand is gathered in place (GatheredGemm) reads
// tap (c, i, j) of a row of outputs as one contiguous run of that buffer. Measured 2 threads, 64->64 3x3
// on 32x32 images (32 of them): forward 14 ms against 21-22 ms for im2col + GEMM, which spends a third
// of its time writing the columns and packing them again for the GEMM. Horizontal stride 2 reads even /
// odd phase planes of the band; measured 1 thread, float32, against im2col: MNIST-1D's 1->25 (1,5) stride
// (1, 2) on (100, 1, 1, 40) 0.019 against 0.074 ms, its 25->25 (1,3) on 1x19 0.143 against 0.220 ms;
// 16->32 3x3 stride 2 on (32, 16, 32, 32) 1.40 against 1.46 ms. With both strides 1, dx is a
// convolution of dy with the flipped weights and takes the same path.
//
// Batched columns (conv_batched.cpp): small images, the columns of several side by side in one GEMM.
//
// im2col + GEMM (where no other path is chosen): work is split into tiles: one image's output rows
// [oh0, oh1), sized so that the tile's column buffer (C*kh*kw x rows*out_w) stays in cache between im2col
// writing it and the GEMM reading it (usually one whole image; large images are split into bands of
// output rows, and an output row whose columns alone exceed kMaxRowColumnBytes into segments of it).
// Threads: when there are at least as many work items (tiles in forward, images in backward) as
// threads, OpenMP runs over the items and each thread calls GEMM inside the parallel region, where
// OpenMP's default max-active-levels of 1 makes GEMM single-threaded (no oversubscription). With fewer
// items the loop runs on one thread and GEMM and im2col use all of them.
// A 1x1, stride-1, unpadded convolution is a plain GEMM on the image: im2col is skipped.
//
// Scratch is sized by the work: the direct path's padded band only where it is not much larger than the
// input and output (direct_band_fits), im2col's columns a bounded tile at a time. Every buffer is
// allocated before its parallel region, a slice per thread, and the work inside runs through
// ParallelErrors, so a failed allocation raises (MemoryError in Python) instead of aborting.
// Empty work (a zero-sized dimension) returns at once.
#include "kernels/conv.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "kernels/conv_batched.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernels/runtime.h"
#include "kernels/window.h"
#include "kernels/winograd.h"

namespace tl {
namespace {

// Column buffer size per tile: an eighth of the 32 MiB L3, so each thread's buffer stays in L3 between
// im2col and GEMM. Measured with the packed GEMM (1 thread, 64->64 3x3 on 32x32 images, 2.3 MiB of columns
// per image): 256 KiB tiles made forward 20% and backward 30% slower than whole images, because every
// tile repacks the weights and runs a GEMM with few columns.
constexpr int64_t kColumnBufferBytes = 4 * 1024 * 1024;
// An output row whose columns (C*kh*kw x out_w) exceed this is cut into segments of kColumnBufferBytes, so
// the buffer is bounded however wide the padded output is (1x100000 kernel, stride 2, padding 100000 on
// a 1x1 input: 20 GB for its one row). Up to it a row is kept whole (a wider GEMM).
constexpr int64_t kMaxRowColumnBytes = 32 * 1024 * 1024;
// Taps up to which the bias is added inside the GEMM, as one more tap whose input is 1: such a shallow
// convolution is memory-bound, and a separate bias pass over y would add to its traffic (measured 10% on
// 1->32 channels); a deep one is compute-bound and an odd depth slows its GEMM (10% on 64->64).
constexpr int64_t kBiasInGemmMaxDepth = 32;


// Per-image conv plan: tile height, whether im2col is skipped, GEMM sizes per group.
struct ConvPlan {
    bool image_is_columns;  // 1x1 stride-1 unpadded: the image is its own column matrix
    int64_t tile_rows;    // output rows per tile
    int64_t tile_cols;    // output columns per tile: out_w, or a segment of one row (tile_rows 1)
    int64_t col_tiles;    // tiles per row of tiles
    int64_t tiles;        // tiles per image
    int64_t col_rows;     // C*kh*kw, rows of the whole column matrix
    int64_t group_depth;  // Cg*kh*kw, the GEMM depth per group
    int64_t group_out;    // K / groups
    int64_t out_plane;    // out_h * out_w
    int64_t in_plane;     // in_h * in_w
    bool worth_threads;   // enough multiply-adds to pay for waking an OpenMP team
};

template <typename T>
ConvPlan make_plan(const ConvGeometry& g) {
    ConvPlan p;
    p.image_is_columns = conv2d_image_is_columns(g);
    p.col_rows = g.in_channels * g.kernel_h * g.kernel_w;
    p.group_depth = p.col_rows / g.groups;
    p.group_out = g.out_channels / g.groups;
    p.out_plane = g.out_h * g.out_w;
    p.in_plane = g.in_h * g.in_w;
    p.worth_threads = get_num_threads() > 1 &&
                      mul_sat(mul_sat(g.batch, g.out_channels), mul_sat(p.out_plane, p.group_depth)) >=
                          kConvParallelMinWork;
    const int64_t elem = sizeof(T), out_h = std::max<int64_t>(g.out_h, 1), out_w = std::max<int64_t>(g.out_w, 1);
    const int64_t row_bytes = std::max<int64_t>(1, mul_sat(mul_sat(p.col_rows, g.out_w), elem));
    p.tile_rows = p.image_is_columns ? out_h : std::clamp<int64_t>(kColumnBufferBytes / row_bytes, 1, out_h);
    p.tile_cols = out_w;
    if (!p.image_is_columns && row_bytes > kMaxRowColumnBytes) {
        const int64_t column_bytes = std::max<int64_t>(1, mul_sat(p.col_rows, elem));
        p.tile_cols = std::clamp<int64_t>(kColumnBufferBytes / column_bytes, 1, out_w);
    }
    p.col_tiles = (out_w + p.tile_cols - 1) / p.tile_cols;
    p.tiles = g.out_h > 0 && g.out_w > 0 ? (g.out_h + p.tile_rows - 1) / p.tile_rows * p.col_tiles : 0;
    return p;
}

// Tile t (< p.tiles) of an image: row band t / col_tiles, column segment t % col_tiles.
ConvTile tile_at(const ConvPlan& p, const ConvGeometry& g, int64_t t) {
    const int64_t oh0 = t / p.col_tiles * p.tile_rows, ow0 = t % p.col_tiles * p.tile_cols;
    return {oh0, std::min(g.out_h, oh0 + p.tile_rows), ow0, std::min(g.out_w, ow0 + p.tile_cols)};
}

// Values of one thread's column buffer (none when the image is its own column matrix).
int64_t column_buffer_size(const ConvPlan& p, int64_t extra_rows = 0) {
    return p.image_is_columns ? 0 : mul_sat(p.col_rows + extra_rows, mul_sat(p.tile_rows, p.tile_cols));
}

// [W | b]: the K x depth weights with the bias appended as column `depth` (for a bias inside the GEMM).
template <typename T>
std::vector<T> weights_with_bias_column(const T* w, const T* bias, int64_t out_channels, int64_t depth) {
    std::vector<T> out(static_cast<size_t>(out_channels * (depth + 1)));
    for (int64_t k = 0; k < out_channels; ++k) {
        std::copy(w + k * depth, w + (k + 1) * depth, out.begin() + k * (depth + 1));
        out[k * (depth + 1) + depth] = bias[k];
    }
    return out;
}

// ---- Direct convolution (stride_w 1 or 2): no im2col; the GEMM gathers each tap's input row in place.
//
// An item is one image's band of output rows [oh0, oh1). Its input rows are copied, zero padded, into a
// buffer `band` (C x band_rows x row_len). With horizontal stride sw each band row is stored as sw phase
// planes of phase_w values, phase r holding padded columns r, r + sw, r + 2*sw, ... (with sw = 1, the
// padded row itself), so that tap (c, i, j) of output pixel (oh, ow), padded column ow*sw + j*dw, sits at
// band + offset(c, i, j) + (oh - oh0)*sh*row_len + ow, with
//   offset(c, i, j) = (c*band_rows + i*dh)*row_len + ((j*dw) % sw)*phase_w + (j*dw) / sw:
// consecutive ow are consecutive in memory, so each GEMM B row is read in place (GatheredGemm).

struct BandGeometry {
    int64_t rows;     // input rows in the band: (oh1 - oh0 - 1)*sh + (kh - 1)*dh + 1
    int64_t phase_w;  // values per phase: out_w + (kw - 1)*dw / sw
    int64_t row_len;  // sw * phase_w
};

BandGeometry band_geometry(const ConvGeometry& g, int64_t out_rows) {
    const int64_t phase_w = g.out_w + (g.kernel_w - 1) * g.dilation_w / g.stride_w;
    return {(out_rows - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1, phase_w, g.stride_w * phase_w};
}

// band[c, r, phase, t] := image[c, oh0*sh - ph + r, t*sw + phase - pw], 0 outside the image.
template <typename T>
void copy_padded_band(const T* image, const ConvGeometry& g, int64_t oh0, const BandGeometry& b, T* band) {
    const int64_t q_lo = std::min(b.row_len, std::max<int64_t>(0, g.pad_w));
    const int64_t q_hi = std::max(q_lo, std::min(b.row_len, g.in_w + g.pad_w));
    for (int64_t c = 0; c < g.in_channels; ++c) {
        for (int64_t r = 0; r < b.rows; ++r) {
            T* dst = band + (c * b.rows + r) * b.row_len;
            const int64_t ih = oh0 * g.stride_h - g.pad_h + r;
            if (ih < 0 || ih >= g.in_h) {
                std::fill(dst, dst + b.row_len, T(0));
                continue;
            }
            const T* src = image + (c * g.in_h + ih) * g.in_w - g.pad_w;
            if (g.stride_w == 1) {
                std::fill(dst, dst + q_lo, T(0));
                std::copy(src + q_lo, src + q_hi, dst + q_lo);
                std::fill(dst + q_hi, dst + b.row_len, T(0));
                continue;
            }
            for (int64_t phase = 0; phase < g.stride_w; ++phase)
                for (int64_t t = 0; t < b.phase_w; ++t) {
                    const int64_t q = t * g.stride_w + phase;
                    dst[phase * b.phase_w + t] = q >= q_lo && q < q_hi ? src[q] : T(0);
                }
        }
    }
}

// offsets[(c*kh + i)*kw + j] := the offset of group-local tap (c, i, j), c < in_channels / groups, in a
// band buffer.
void fill_tap_offsets(const ConvGeometry& g, const BandGeometry& b, int64_t* offsets) {
    // The offsets of row (0, 0)'s taps first, then every other row's as that row's start plus them (two
    // divisions per tap and item cost 15% of LeNet's 6->16 dX).
    for (int64_t j = 0; j < g.kernel_w; ++j) {
        const int64_t q = j * g.dilation_w;
        offsets[j] = g.stride_w == 1 ? q : q % g.stride_w * b.phase_w + q / g.stride_w;
    }
    for (int64_t c = 0; c < g.in_channels / g.groups; ++c)
        for (int64_t i = 0; i < g.kernel_h; ++i) {
            if (c == 0 && i == 0) continue;
            int64_t* row = offsets + (c * g.kernel_h + i) * g.kernel_w;
            const int64_t start = (c * b.rows + i * g.dilation_h) * b.row_len;
            for (int64_t j = 0; j < g.kernel_w; ++j) row[j] = start + offsets[j];
        }
}

template <typename T>
void conv2d_forward_gathered(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g,
                             const ConvPlan& p) {
    // A shallow convolution is memory-bound: its bias rides in the GEMM as one more tap, reading a plane of
    // ones stored after the band's channels, with the bias as its weight (no second pass over y; measured
    // 2 threads: 3->16 on 32x32 images 0.32 -> 0.29 ms, 1->32 on 28x28 0.56 -> 0.49 ms).
    const bool bias_in_gemm = bias && g.groups == 1 && p.group_depth <= kBiasInGemmMaxDepth;
    const int64_t depth = p.group_depth + (bias_in_gemm ? 1 : 0);
    const std::vector<T> weight_and_bias =
        bias_in_gemm ? weights_with_bias_column(w, bias, g.out_channels, p.group_depth) : std::vector<T>();
    std::vector<GatheredGemm<T>> weights;
    for (int64_t gi = 0; gi < g.groups; ++gi)
        weights.emplace_back(p.group_out, depth,
                             bias_in_gemm ? weight_and_bias.data() : w + gi * p.group_out * p.group_depth, depth);
    const int threads = get_num_threads();
    // Whole images when there are enough for every thread, else bands of rows so each thread gets about two.
    const int64_t bands_per_image =
        p.worth_threads && g.batch < threads ? std::min<int64_t>(g.out_h, (2 * threads + g.batch - 1) / g.batch) : 1;
    const int64_t band_out_rows = (g.out_h + bands_per_image - 1) / bands_per_image;
    const int64_t items = g.batch * bands_per_image;
    const BandGeometry full = band_geometry(g, band_out_rows);
    const int64_t slack = weights.front().slack();
    const int64_t band_size = g.in_channels * full.rows * full.row_len;  // the largest band's channels
    const int64_t ones_size = bias_in_gemm ? full.rows * full.row_len + slack : 0;
    // One band and one tap-offset table per thread, allocated here (kernels/parallel.h).
    const int team = p.worth_threads && items > 1 ? static_cast<int>(std::min<int64_t>(threads, items)) : 1;
    const int64_t band_slice = band_size + slack + ones_size;
    std::unique_ptr<T[]> bands = scratch_buffer<T>(team, band_slice);
    std::unique_ptr<int64_t[]> offset_tables = scratch_buffer<int64_t>(team, depth);
    for (int t = 0; t < team; ++t)
        std::fill(bands.get() + t * band_slice + band_size, bands.get() + t * band_slice + band_size + ones_size,
                  T(1));
    ParallelErrors errors;
#pragma omp parallel num_threads(team) if (team > 1)
    {
        T* band = bands.get() + thread_index() * band_slice;
        int64_t* offsets = offset_tables.get() + thread_index() * depth;
#pragma omp for schedule(dynamic, 1)
        for (int64_t item = 0; item < items; ++item) {
            errors.run([&] {
                const int64_t n = item / bands_per_image;
                const int64_t oh0 = (item % bands_per_image) * band_out_rows;
                const int64_t oh1 = std::min(g.out_h, oh0 + band_out_rows);
                if (oh0 >= oh1) return;
                const BandGeometry b = band_geometry(g, oh1 - oh0);
                copy_padded_band(x + n * g.in_channels * p.in_plane, g, oh0, b, band);
                fill_tap_offsets(g, b, offsets);
                if (bias_in_gemm) offsets[p.group_depth] = band_size;
                T* out = y + n * g.out_channels * p.out_plane + oh0 * g.out_w;
                for (int64_t gi = 0; gi < g.groups; ++gi) {
                    const int64_t group_in = g.in_channels / g.groups;
                    weights[gi].run(oh1 - oh0, g.out_w, band + gi * group_in * b.rows * b.row_len,
                                    g.stride_h * b.row_len, offsets, out + gi * p.group_out * p.out_plane,
                                    g.out_w, p.out_plane);
                }
                if (bias && !bias_in_gemm) {
                    for (int64_t k = 0; k < g.out_channels; ++k) {
                        T* row = out + k * p.out_plane;
                        const T bk = bias[k];
                        for (int64_t q = 0; q < (oh1 - oh0) * g.out_w; ++q) row[q] += bk;
                    }
                }
            });
        }
    }
    errors.rethrow();
}

// For stride 1, dX is itself a convolution: dX = conv2d(dY, W') with W'[c, k, i, j] = W[k, c, kh-1-i, kw-1-j]
// (per group), padding (k-1)*d - p on each side and dilation d; computed by the direct path.
template <typename T>
void input_gradient_gathered(const T* w, const T* dy, T* dx, const ConvGeometry& g) {
    const ConvGeometry t = conv2d_adjoint_geometry(g);
    const int64_t group_in = g.in_channels / g.groups, group_out = g.out_channels / g.groups;
    const int64_t taps = g.kernel_h * g.kernel_w;
    std::vector<T> flipped(static_cast<size_t>(g.out_channels * group_in * taps));
    for (int64_t gi = 0; gi < g.groups; ++gi)
        for (int64_t c = 0; c < group_in; ++c)
            for (int64_t k = 0; k < group_out; ++k)
                for (int64_t tap = 0; tap < taps; ++tap)
                    flipped[((gi * group_in + c) * group_out + k) * taps + tap] =
                        w[((gi * group_out + k) * group_in + c) * taps + (taps - 1 - tap)];
    conv2d_forward_gathered<T>(dy, flipped.data(), nullptr, dx, t, make_plan<T>(t));
}

// y := conv2d(x, w) + bias by Winograd (g must satisfy winograd_applies); false when an output is not
// finite (see conv2d_forward).
template <typename T>
bool winograd_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
    std::unique_ptr<T[]> u = scratch_buffer<T>(16 * g.out_channels, g.in_channels);
    winograd_weight(w, g.out_channels, g.in_channels, false, u.get());
    return winograd_conv2d(x, u.get(), bias, y,
                    WinogradShape{g.batch, g.in_channels, g.in_h, g.in_w, g.out_channels, g.out_h, g.out_w,
                                  g.pad_h, g.pad_w});
}

// dx := conv2d(dy, w') with w'[c, k, i, j] = w[k, c, 2 - i, 2 - j], padding 2 - pad, output in_h x in_w:
// dx[c, ih, iw] = sum_{k, i, j} w[k, c, i, j] dy[k, ih + pad_h - i, iw + pad_w - j] (the adjoint of forward).
// False when an output is not finite.
template <typename T>
bool winograd_backward_data(const T* w, const T* dy, T* dx, const ConvGeometry& g) {
    std::unique_ptr<T[]> u = scratch_buffer<T>(16 * g.in_channels, g.out_channels);
    winograd_weight(w, g.in_channels, g.out_channels, true, u.get());
    return winograd_conv2d(dy, u.get(), static_cast<const T*>(nullptr), dx,
                    WinogradShape{g.batch, g.out_channels, g.out_h, g.out_w, g.in_channels, g.in_h, g.in_w,
                                  2 - g.pad_h, 2 - g.pad_w});
}

// dw := the gradient of conv2d with respect to w by Winograd (winograd_weight_gradient); false when a value
// is not finite.
template <typename T>
bool winograd_backward_weight(const T* x, const T* dy, T* dw, const ConvGeometry& g) {
    return winograd_weight_gradient(x, dy, dw,
                                    WinogradShape{g.batch, g.in_channels, g.in_h, g.in_w, g.out_channels, g.out_h,
                                                  g.out_w, g.pad_h, g.pad_w});
}

}  // namespace

namespace {

// y := bias (or 0) broadcast over each output plane: the convolution of an input without channels.
template <typename T>
void fill_bias(const T* bias, T* y, const ConvGeometry& g) {
    const int64_t plane = g.out_h * g.out_w;
    for (int64_t n = 0; n < g.batch; ++n)
        for (int64_t k = 0; k < g.out_channels; ++k)
            std::fill(y + (n * g.out_channels + k) * plane, y + (n * g.out_channels + k + 1) * plane,
                      bias ? bias[k] : T(0));
}

}  // namespace

template <typename T>
void conv2d_forward_by(ConvAlgorithm algorithm, const T* x, const T* w, const T* bias, T* y,
                       const ConvGeometry& g) {
    if (g.batch == 0 || g.out_channels == 0 || g.out_h == 0 || g.out_w == 0) return;
    if (g.in_channels == 0) return fill_bias(bias, y, g);
    // Winograd's transforms subtract inputs (and outputs) from each other, so an inf in the input, or
    // outputs near overflow, become NaN where the direct sum gives inf. Every non-finite input or weight
    // makes some Winograd output non-finite, so a non-finite output (checked as it is written, almost
    // free) reruns the pass by the direct or im2col path, which propagates them as PyTorch does.
    if (algorithm == ConvAlgorithm::winograd) {
        if (winograd_forward(x, w, bias, y, g)) return;
        algorithm = conv2d_fallback_algorithm(g, ConvPass::forward);
    }
    if (algorithm == ConvAlgorithm::batched) return conv2d_forward_batched(x, w, bias, y, g);
    const ConvPlan p = make_plan<T>(g);
    if (algorithm == ConvAlgorithm::direct) {
        conv2d_forward_gathered(x, w, bias, y, g, p);
        return;
    }
    const int64_t items = g.batch * p.tiles;
    const bool over_items = p.worth_threads && items >= get_num_threads();
    // A shallow convolution's bias rides in the GEMM (kBiasInGemmMaxDepth): a row of ones under the columns.
    const bool bias_in_gemm = bias && g.groups == 1 && !p.image_is_columns && p.col_rows > 0 && p.col_rows <= kBiasInGemmMaxDepth;
    const int64_t depth = p.group_depth + (bias_in_gemm ? 1 : 0);
    const std::vector<T> weight_and_bias =
        bias_in_gemm ? weights_with_bias_column(w, bias, g.out_channels, p.group_depth) : std::vector<T>();
    const T* weight = bias_in_gemm ? weight_and_bias.data() : w;
    const int team = over_items ? get_num_threads() : 1;
    const int64_t cols_slice = column_buffer_size(p, bias_in_gemm ? 1 : 0);
    std::unique_ptr<T[]> all_cols = scratch_buffer<T>(team, cols_slice);
    ParallelErrors errors;
#pragma omp parallel num_threads(team) if (over_items)
    {
        T* cols = all_cols.get() + thread_index() * cols_slice;
#pragma omp for schedule(static)
        for (int64_t item = 0; item < items; ++item) errors.run([&] {
            const int64_t n = item / p.tiles;
            const ConvTile tile = tile_at(p, g, item % p.tiles);
            const int64_t width = tile.width();
            const T* image = x + n * g.in_channels * p.in_plane;
            T* out = y + n * g.out_channels * p.out_plane + tile.oh0 * g.out_w + tile.ow0;
            const T* src = image;
            if (!p.image_is_columns) {
                im2col(image, g, tile, cols);
                if (bias_in_gemm) std::fill(cols + p.col_rows * width, cols + depth * width, T(1));
                src = cols;
            }
            for (int64_t gi = 0; gi < g.groups; ++gi) {
                T* out_g = out + gi * p.group_out * p.out_plane;
                if (p.group_depth == 0) {
                    for (int64_t k = 0; k < p.group_out; ++k)
                        std::fill(out_g + k * p.out_plane, out_g + k * p.out_plane + width, T(0));
                    continue;
                }
                gemm<T>(false, false, p.group_out, width, depth, T(1), weight + gi * p.group_out * depth,
                        depth, src + gi * p.group_depth * width, width, T(0), out_g, p.out_plane);
            }
            if (bias && !bias_in_gemm) {
                for (int64_t k = 0; k < g.out_channels; ++k) {
                    T* row = out + k * p.out_plane;
                    const T b = bias[k];
                    for (int64_t q = 0; q < width; ++q) row[q] += b;
                }
            }
        });
    }
    errors.rethrow();
}

template <typename T>
void conv2d_backward_by(ConvAlgorithm dx_algorithm, ConvAlgorithm dw_algorithm, const T* x, const T* w,
                        const T* dy, T* dx, T* dw, T* db, const ConvGeometry& g) {
    if (g.batch == 0 || g.out_channels == 0 || g.out_h == 0 || g.out_w == 0) {  // dy is empty: zero gradients
        if (dx) std::fill(dx, dx + g.batch * g.in_channels * g.in_h * g.in_w, T(0));
        if (dw) std::fill(dw, dw + g.out_channels * (g.in_channels / g.groups) * g.kernel_h * g.kernel_w, T(0));
        if (db) std::fill(db, db + g.out_channels, T(0));
        return;
    }
    const ConvPlan p = make_plan<T>(g);
    if (db) {
#pragma omp parallel for schedule(static) if (p.worth_threads)
        for (int64_t k = 0; k < g.out_channels; ++k) {
            double sum = 0.0;  // across images; each plane is summed in T with SIMD partial sums
            for (int64_t n = 0; n < g.batch; ++n) {
                const T* row = dy + (n * g.out_channels + k) * p.out_plane;
                T plane_sum = T(0);
#pragma omp simd reduction(+ : plane_sum)
                for (int64_t q = 0; q < p.out_plane; ++q) plane_sum += row[q];
                sum += plane_sum;
            }
            db[k] = static_cast<T>(sum);
        }
    }
    // dx by Winograd, the direct or the batched path here, else by im2col (col2im of W^T dY) in the loop
    // below; dw by Winograd or the batched path here, or in that loop.
    T* dx_cols = dx;
    T* dx_batched = nullptr;
    if (dx) {
        ConvAlgorithm algorithm = dx_algorithm;
        // A non-finite Winograd result reruns by another path (see conv2d_forward).
        if (algorithm == ConvAlgorithm::winograd && !winograd_backward_data(w, dy, dx, g))
            algorithm = conv2d_fallback_algorithm(g, ConvPass::backward_data);
        if (algorithm == ConvAlgorithm::direct) input_gradient_gathered(w, dy, dx, g);
        if (algorithm == ConvAlgorithm::batched) dx_batched = dx;
        if (algorithm != ConvAlgorithm::im2col) dx_cols = nullptr;
    }
    T* dw_batched = nullptr;
    if (dw) {
        ConvAlgorithm algorithm = dw_algorithm;
        if (algorithm == ConvAlgorithm::winograd && !winograd_backward_weight(x, dy, dw, g))
            algorithm = conv2d_fallback_algorithm(g, ConvPass::backward_weight);
        if (algorithm == ConvAlgorithm::batched) dw_batched = dw;
        if (algorithm == ConvAlgorithm::winograd || algorithm == ConvAlgorithm::batched) dw = nullptr;
    }
    if (dx_batched || dw_batched) conv2d_backward_batched(x, w, dy, dx_batched, dw_batched, g);
    if (!dx_cols && !dw) return;
    const int64_t weight_size = g.out_channels * p.group_depth;
    const int threads = get_num_threads();
    const bool over_images = p.worth_threads && g.batch >= threads;
    // dW is accumulated transposed, group by group: dW_g^T (Cg*kh*kw x K/groups) += cols_g dY_g^T, a tall
    // GEMM with a short output row (measured 1 thread, 64->64 3x3 on 32x32: 85 GFLOP/s against 72 for the
    // wide dW_g = dY_g cols_g^T). Each thread accumulates over its images in its own buffer; the buffers
    // are summed and transposed into dw at the end.
    const int accumulators = over_images ? threads : 1;
    // Zeroed (scratch_buffer): a thread may get no image.
    std::unique_ptr<T[]> partials = scratch_buffer<T>(dw ? accumulators : 0, weight_size);
    const int64_t cols_slice = column_buffer_size(p);
    std::unique_ptr<T[]> all_cols = scratch_buffer<T>(accumulators, cols_slice);
    ParallelErrors errors;
#pragma omp parallel num_threads(accumulators) if (over_images)
    {
        T* cols = all_cols.get() + thread_index() * cols_slice;
        T* dw_acc = dw ? partials.get() + thread_index() * weight_size : nullptr;
#pragma omp for schedule(static)
        for (int64_t n = 0; n < g.batch; ++n) errors.run([&] {
            const T* image = x + n * g.in_channels * p.in_plane;
            const T* dy_n = dy + n * g.out_channels * p.out_plane;
            T* dx_n = dx_cols ? dx_cols + n * g.in_channels * p.in_plane : nullptr;
            if (dx_n && !p.image_is_columns) std::fill(dx_n, dx_n + g.in_channels * p.in_plane, T(0));
            for (int64_t t = 0; t < p.tiles; ++t) {
                const ConvTile tile = tile_at(p, g, t);
                const int64_t width = tile.width();
                const T* dy_tile = dy_n + tile.oh0 * g.out_w + tile.ow0;
                if (dw && p.group_depth > 0) {
                    const T* src = image;
                    if (!p.image_is_columns) {
                        im2col(image, g, tile, cols);
                        src = cols;
                    }
                    for (int64_t gi = 0; gi < g.groups; ++gi) {
                        const T* cols_g = src + gi * p.group_depth * width;
                        const T* dy_g = dy_tile + gi * p.group_out * p.out_plane;
                        T* acc_g = dw_acc + gi * p.group_out * p.group_depth;
                        if (p.group_depth <= kThinWeightGradientMaxDepth)
                            thin_weight_gradient(p.group_depth, p.group_out, width, cols_g, width, dy_g, p.out_plane,
                                                 acc_g, p.group_out);
                        else
                            gemm<T>(false, true, p.group_depth, p.group_out, width, T(1), cols_g, width, dy_g,
                                    p.out_plane, T(1), acc_g, p.group_out);
                    }
                }
                if (dx_n) {
                    // dcols = W^T dY, straight into dx for a direct convolution.
                    T* dst = p.image_is_columns ? dx_n : cols;
                    for (int64_t gi = 0; gi < g.groups; ++gi) {
                        T* dst_g = dst + gi * p.group_depth * width;
                        if (p.group_out == 0) {
                            std::fill(dst_g, dst_g + p.group_depth * width, T(0));
                            continue;
                        }
                        gemm<T>(true, false, p.group_depth, width, p.group_out, T(1),
                                w + gi * p.group_out * p.group_depth, p.group_depth,
                                dy_tile + gi * p.group_out * p.out_plane, p.out_plane, T(0), dst_g, width);
                    }
                    if (!p.image_is_columns) col2im(cols, g, tile, dx_n);
                }
            }
        });
    }
    errors.rethrow();
    if (dw) {
        // dw[g, k, d] = sum over accumulators of dW_g^T[d, k], at partials + g*Kg*Dg + d*Kg + k.
#pragma omp parallel for schedule(static) if (weight_size > 65536)
        for (int64_t row = 0; row < g.out_channels; ++row) {
            const int64_t gi = row / std::max<int64_t>(p.group_out, 1), k = row - gi * p.group_out;
            const T* group = partials.get() + gi * p.group_out * p.group_depth + k;
            for (int64_t d = 0; d < p.group_depth; ++d) {
                T sum = T(0);
                for (int t = 0; t < accumulators; ++t) sum += group[t * weight_size + d * p.group_out];
                dw[row * p.group_depth + d] = sum;
            }
        }
    }
}

template void conv2d_forward_by<float>(ConvAlgorithm, const float*, const float*, const float*, float*,
                                       const ConvGeometry&);
template void conv2d_forward_by<double>(ConvAlgorithm, const double*, const double*, const double*, double*,
                                        const ConvGeometry&);
template void conv2d_backward_by<float>(ConvAlgorithm, ConvAlgorithm, const float*, const float*, const float*,
                                        float*, float*, float*, const ConvGeometry&);
template void conv2d_backward_by<double>(ConvAlgorithm, ConvAlgorithm, const double*, const double*,
                                         const double*, double*, double*, double*, const ConvGeometry&);

}  // namespace tl
