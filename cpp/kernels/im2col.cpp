// im2col and col2im over one output tile (formulas in conv.h). Only the taps of a row that land inside the
// input are copied; the rest of the row is zero filled (the padding).
#include <algorithm>
#include <cstring>

#include "kernels/conv.h"
#include "kernels/parallel.h"
#include "kernels/window.h"

namespace tl {
namespace {

// Output rows up to this wide are copied by a plain loop: with small images (4x4 or 8x8 outputs, batched
// columns) most rows are a few values, and the three library calls (fill, memcpy, fill) per row cost
// more than the copy. Measured 1 thread, float32, (64, 32, 4, 4) x (64, 32, 3, 3) batched: forward
// 0.79 -> 0.66 ms, dW 0.80 -> 0.69 ms; but at 10 wide the calls won (LeNet's 6->16 dW on 14x14: 1.00 ms
// against 1.24 with the loop).
constexpr int64_t kNarrowRow = 8;

}  // namespace

template <typename T>
void im2col(const T* image, const ConvGeometry& g, const ConvTile& t, T* cols, int64_t ld) {
    const int64_t tile_w = t.ow1 - t.ow0, width = t.width();
    if (ld == 0) ld = width;
    const int64_t taps = g.kernel_h * g.kernel_w;
#pragma omp parallel for schedule(static) if (g.in_channels * taps * width > kIm2colParallelMin)
    for (int64_t c = 0; c < g.in_channels; ++c) {
        for (int64_t i = 0; i < g.kernel_h; ++i) {
            for (int64_t j = 0; j < g.kernel_w; ++j) {
                T* row = cols + (c * taps + i * g.kernel_w + j) * ld;
                const int64_t col_offset = j * g.dilation_w - g.pad_w;
                // The tile's output columns [lo, hi) whose input column ow * stride_w + col_offset is inside.
                const TapRange full = tap_range(col_offset, g.stride_w, g.in_w, g.out_w);
                const int64_t lo = std::clamp(full.lo, t.ow0, t.ow1) - t.ow0;
                const int64_t hi = std::clamp(full.hi, t.ow0 + lo, t.ow1) - t.ow0;
                for (int64_t oh = t.oh0; oh < t.oh1; ++oh) {
                    T* dst = row + (oh - t.oh0) * tile_w;
                    const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                    if (ih < 0 || ih >= g.in_h || lo >= hi) {
                        std::fill(dst, dst + tile_w, T(0));
                        continue;
                    }
                    if (tile_w <= kNarrowRow) {
                        // Every read stays in the row (column 0 stands in outside [lo, hi)), so the loop has
                        // no branch and no library call.
                        const T* src_row = image + (c * g.in_h + ih) * g.in_w;
                        const int64_t first = t.ow0 * g.stride_w + col_offset;
                        for (int64_t q = 0; q < tile_w; ++q) {
                            const bool inside = q >= lo && q < hi;
                            const T v = src_row[inside ? first + q * g.stride_w : 0];
                            dst[q] = inside ? v : T(0);
                        }
                        continue;
                    }
                    std::fill(dst, dst + lo, T(0));
                    const T* src = image + (c * g.in_h + ih) * g.in_w + ((t.ow0 + lo) * g.stride_w + col_offset);
                    if (g.stride_w == 1) {
                        std::memcpy(dst + lo, src, static_cast<size_t>(hi - lo) * sizeof(T));
                    } else {
                        for (int64_t q = lo; q < hi; ++q) dst[q] = src[(q - lo) * g.stride_w];
                    }
                    std::fill(dst + hi, dst + tile_w, T(0));
                }
            }
        }
    }
}

template <typename T>
void col2im(const T* cols, const ConvGeometry& g, const ConvTile& t, T* image, int64_t ld) {
    const int64_t tile_w = t.ow1 - t.ow0, width = t.width();
    if (ld == 0) ld = width;
    const int64_t taps = g.kernel_h * g.kernel_w;
    // Channels are independent image planes, so splitting over c is race-free.
#pragma omp parallel for schedule(static) if (g.in_channels * taps * width > kIm2colParallelMin)
    for (int64_t c = 0; c < g.in_channels; ++c) {
        for (int64_t i = 0; i < g.kernel_h; ++i) {
            for (int64_t j = 0; j < g.kernel_w; ++j) {
                const T* row = cols + (c * taps + i * g.kernel_w + j) * ld;
                const int64_t col_offset = j * g.dilation_w - g.pad_w;
                const TapRange full = tap_range(col_offset, g.stride_w, g.in_w, g.out_w);
                const int64_t lo = std::clamp(full.lo, t.ow0, t.ow1) - t.ow0;
                const int64_t hi = std::clamp(full.hi, t.ow0 + lo, t.ow1) - t.ow0;
                if (lo >= hi) continue;
                for (int64_t oh = t.oh0; oh < t.oh1; ++oh) {
                    const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                    if (ih < 0 || ih >= g.in_h) continue;
                    const T* src = row + (oh - t.oh0) * tile_w;
                    T* dst = image + (c * g.in_h + ih) * g.in_w + ((t.ow0 + lo) * g.stride_w + col_offset);
                    for (int64_t q = lo; q < hi; ++q) dst[(q - lo) * g.stride_w] += src[q];
                }
            }
        }
    }
}

template void im2col<float>(const float*, const ConvGeometry&, const ConvTile&, float*, int64_t);
template void im2col<double>(const double*, const ConvGeometry&, const ConvTile&, double*, int64_t);
template void col2im<float>(const float*, const ConvGeometry&, const ConvTile&, float*, int64_t);
template void col2im<double>(const double*, const ConvGeometry&, const ConvTile&, double*, int64_t);

}  // namespace tl
