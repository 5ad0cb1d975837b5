// conv2d forward and backward by im2col + tl::gemm (formulas and layout in conv.h); the forward pass and
// dX of 3x3 stride-1 convolutions where Winograd pays (winograd_pays) go to winograd_conv2d instead.
//
// Work is split into tiles: one image's output rows [oh0, oh1), sized so that the tile's column
// buffer (C*kh*kw x rows*out_w) stays in cache between im2col writing it and the GEMM reading it
// (usually one whole image; large images are split into bands of output rows).
// Threads: when there are at least as many work items (tiles in forward, images in backward) as
// threads, OpenMP runs over the items and each thread calls GEMM inside the parallel region, where
// OpenMP's default max-active-levels of 1 makes GEMM single-threaded (no oversubscription). With fewer
// items the loop runs on one thread and GEMM and im2col use all of them.
// A 1x1, stride-1, unpadded convolution is a plain GEMM on the image: im2col is skipped.
#include "kernels/conv.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "kernels/gemm.h"
#include "kernels/runtime.h"
#include "kernels/window.h"
#include "kernels/winograd.h"

#ifdef TENSORLITE_OPENMP
#include <omp.h>
#endif

namespace tl {
namespace {

// Column buffer size per tile: an eighth of the 32 MiB L3, so each thread's buffer stays in L3 between
// im2col and GEMM. Measured with the packed GEMM (1 thread, 64->64 3x3 on 32x32 images, 2.3 MiB of columns
// per image): 256 KiB tiles made forward 20% and backward 30% slower than whole images, because every
// tile repacks the weights and runs a GEMM with few columns.
constexpr int64_t kColumnBufferBytes = 4 * 1024 * 1024;
// Below this many multiply-adds per call the loops stay on one thread: waking a team costs more than it
// saves (and much more on a busy machine).
constexpr int64_t kParallelMinWork = 1 << 17;

// Where Winograd runs (winograd_pays). Its 16 GEMMs have depth C, the input transform costs C and the
// output transform K per 2x2 tile, so it pays with enough input channels C, not too many output channels
// K per input channel, and enough tiles for the threads to share. Measured (Winograd time against im2col,
// 2 threads, float32; float64 gains more), N x C x H x H inputs, N = 1-64, H = 8-32, C and K 1-256:
//   C = 1, 2, 3: 0.2-0.8x for K >= 8 (1 -> 32 on 64 x 28 x 28: 0.25x fwd; 3 -> 16 on 32 x 32 x 32: 0.77x);
//   C = 4: 1.0-1.5x for K = 4, 0.7-0.9x for K = 16, 0.5-0.7x for K = 64;
//   C = 8: K <= 8 1.2-1.8x (dx 1.0-1.5x), K = 16 1.0-1.4x (dx 0.8-0.9x), K = 64 0.4-1.0x;
//   C = 16: K = 16 1.4-1.8x (dx 1.05-1.5x), K = 32 1.1-1.8x (dx 0.7-1.3x), K = 64 0.8-1.3x (dx 0.6-1.1x);
//   C >= 32, K <= 2C: 1.3-3.0x (dx 1.0-3.1x; 64 -> 64 on 32 x 32 x 32: 2.0x fwd, 1.7x dx), K = 4C 0.9-1.6x;
//   fewer than 128 tiles (N * ceil(out_h/2) * ceil(out_w/2)): 0.3-1.3x (1 x 64 x 8 x 8, 64 -> 64: 0.5x).
constexpr int64_t kWinogradMinChannels = 8;  // C
constexpr int64_t kWinogradMinTiles = 128;

enum class Override { automatic, im2col, winograd };
std::atomic<Override>& algorithm_override() {
    static std::atomic<Override> slot{Override::automatic};
    return slot;
}

// 3x3, stride 1, dilation 1, one group: the geometry winograd_conv2d computes (any padding).
bool winograd_applies(const ConvGeometry& g) {
    return g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 &&
           g.dilation_w == 1 && g.groups == 1;
}

// Whether Winograd is measured faster than im2col for `pass` (constants above): C >= 8; K <= C, or
// K <= 2C from C = 16 (forward) or C = 32 (backward data); at least 128 tiles of the pass's output.
bool winograd_pays(const ConvGeometry& g, ConvPass pass) {
    const bool forward = pass == ConvPass::forward;
    const int64_t c = g.in_channels, k = g.out_channels;
    const int64_t ratio = c >= (forward ? 16 : 32) ? 2 : 1;
    const int64_t h = forward ? g.out_h : g.in_h, w = forward ? g.out_w : g.in_w;
    const int64_t tiles = g.batch * ((h + 1) / 2) * ((w + 1) / 2);
    return c >= kWinogradMinChannels && k <= ratio * c && tiles >= kWinogradMinTiles;
}

int thread_index() {
#ifdef TENSORLITE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

// Per-image conv plan: tile height, whether im2col is skipped, GEMM sizes per group.
struct ConvPlan {
    bool direct;          // 1x1 stride-1 unpadded: the image is its own column matrix
    int64_t tile_rows;    // output rows per tile
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
    p.direct = g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
               g.pad_w == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
    p.col_rows = g.in_channels * g.kernel_h * g.kernel_w;
    p.group_depth = p.col_rows / g.groups;
    p.group_out = g.out_channels / g.groups;
    p.out_plane = g.out_h * g.out_w;
    p.in_plane = g.in_h * g.in_w;
    p.worth_threads =
        get_num_threads() > 1 && g.batch * g.out_channels * p.out_plane * p.group_depth >= kParallelMinWork;
    const int64_t row_bytes = std::max<int64_t>(1, p.col_rows * g.out_w * static_cast<int64_t>(sizeof(T)));
    p.tile_rows = p.direct
                      ? g.out_h
                      : std::clamp<int64_t>(kColumnBufferBytes / row_bytes, 1, std::max<int64_t>(g.out_h, 1));
    p.tiles = g.out_h > 0 ? (g.out_h + p.tile_rows - 1) / p.tile_rows : 0;
    return p;
}

template <typename T>
std::unique_ptr<T[]> column_buffer(const ConvPlan& p, const ConvGeometry& g, int64_t extra_rows = 0) {
    return p.direct ? nullptr
                    : std::unique_ptr<T[]>(new T[(p.col_rows + extra_rows) * p.tile_rows * g.out_w]);
}

// y := conv2d(x, w) + bias by Winograd (g must satisfy winograd_applies).
template <typename T>
void winograd_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
    std::unique_ptr<T[]> u(new T[16 * g.out_channels * g.in_channels]);
    winograd_weight(w, g.out_channels, g.in_channels, false, u.get());
    winograd_conv2d(x, u.get(), bias, y,
                    WinogradShape{g.batch, g.in_channels, g.in_h, g.in_w, g.out_channels, g.out_h, g.out_w,
                                  g.pad_h, g.pad_w});
}

// dx := conv2d(dy, w') with w'[c, k, i, j] = w[k, c, 2 - i, 2 - j], padding 2 - pad, output in_h x in_w:
// dx[c, ih, iw] = sum_{k, i, j} w[k, c, i, j] dy[k, ih + pad_h - i, iw + pad_w - j] (the adjoint of forward).
template <typename T>
void winograd_backward_data(const T* w, const T* dy, T* dx, const ConvGeometry& g) {
    std::unique_ptr<T[]> u(new T[16 * g.in_channels * g.out_channels]);
    winograd_weight(w, g.in_channels, g.out_channels, true, u.get());
    winograd_conv2d(dy, u.get(), static_cast<const T*>(nullptr), dx,
                    WinogradShape{g.batch, g.out_channels, g.out_h, g.out_w, g.in_channels, g.in_h, g.in_w,
                                  2 - g.pad_h, 2 - g.pad_w});
}

}  // namespace

ConvAlgorithm conv2d_algorithm(const ConvGeometry& g, ConvPass pass) {
    const Override o = algorithm_override().load();
    if (o == Override::im2col || !winograd_applies(g)) return ConvAlgorithm::im2col;
    const bool winograd = o == Override::winograd || winograd_pays(g, pass);
    return winograd ? ConvAlgorithm::winograd : ConvAlgorithm::im2col;
}

const char* conv_algorithm_name(ConvAlgorithm a) {
    return a == ConvAlgorithm::winograd ? "winograd" : "im2col";
}

void set_conv2d_algorithm(const std::string& name) {
    if (name == "auto") {
        algorithm_override().store(Override::automatic);
    } else if (name == "im2col") {
        algorithm_override().store(Override::im2col);
    } else if (name == "winograd") {
        algorithm_override().store(Override::winograd);
    } else {
        throw std::invalid_argument("set_conv2d_algorithm: unknown algorithm '" + name +
                                    "' (auto, im2col or winograd)");
    }
}

std::string conv2d_algorithm_override() {
    switch (algorithm_override().load()) {
        case Override::im2col:
            return "im2col";
        case Override::winograd:
            return "winograd";
        default:
            return "auto";
    }
}

template <typename T>
void im2col(const T* image, const ConvGeometry& g, int64_t oh0, int64_t oh1, T* cols) {
    const int64_t width = (oh1 - oh0) * g.out_w;
    const int64_t taps = g.kernel_h * g.kernel_w;
#pragma omp parallel for schedule(static) if (g.in_channels * taps * width > 65536)
    for (int64_t c = 0; c < g.in_channels; ++c) {
        for (int64_t i = 0; i < g.kernel_h; ++i) {
            for (int64_t j = 0; j < g.kernel_w; ++j) {
                T* row = cols + (c * taps + i * g.kernel_w + j) * width;
                const int64_t col_offset = j * g.dilation_w - g.pad_w;
                const TapRange r = tap_range(col_offset, g.stride_w, g.in_w, g.out_w);
                for (int64_t oh = oh0; oh < oh1; ++oh) {
                    T* dst = row + (oh - oh0) * g.out_w;
                    const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                    if (ih < 0 || ih >= g.in_h) {
                        std::fill(dst, dst + g.out_w, T(0));
                        continue;
                    }
                    std::fill(dst, dst + r.lo, T(0));
                    if (r.lo < r.hi) {
                        // Output column ow reads input column ow * stride_w + col_offset (in bounds on [lo,
                        // hi)).
                        const T* src = image + (c * g.in_h + ih) * g.in_w + (r.lo * g.stride_w + col_offset);
                        if (g.stride_w == 1) {
                            std::memcpy(dst + r.lo, src, static_cast<size_t>(r.hi - r.lo) * sizeof(T));
                        } else {
                            for (int64_t ow = r.lo; ow < r.hi; ++ow) dst[ow] = src[(ow - r.lo) * g.stride_w];
                        }
                    }
                    std::fill(dst + r.hi, dst + g.out_w, T(0));
                }
            }
        }
    }
}

template <typename T>
void col2im(const T* cols, const ConvGeometry& g, int64_t oh0, int64_t oh1, T* image) {
    const int64_t width = (oh1 - oh0) * g.out_w;
    const int64_t taps = g.kernel_h * g.kernel_w;
    // Channels are independent image planes, so splitting over c is race-free.
#pragma omp parallel for schedule(static) if (g.in_channels * taps * width > 65536)
    for (int64_t c = 0; c < g.in_channels; ++c) {
        for (int64_t i = 0; i < g.kernel_h; ++i) {
            for (int64_t j = 0; j < g.kernel_w; ++j) {
                const T* row = cols + (c * taps + i * g.kernel_w + j) * width;
                const int64_t col_offset = j * g.dilation_w - g.pad_w;
                const TapRange r = tap_range(col_offset, g.stride_w, g.in_w, g.out_w);
                for (int64_t oh = oh0; oh < oh1; ++oh) {
                    const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                    if (ih < 0 || ih >= g.in_h || r.lo >= r.hi) continue;
                    const T* src = row + (oh - oh0) * g.out_w;
                    T* dst = image + (c * g.in_h + ih) * g.in_w + (r.lo * g.stride_w + col_offset);
                    for (int64_t ow = r.lo; ow < r.hi; ++ow) dst[(ow - r.lo) * g.stride_w] += src[ow];
                }
            }
        }
    }
}

template <typename T>
void conv2d_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
    if (conv2d_algorithm(g, ConvPass::forward) == ConvAlgorithm::winograd) {
        winograd_forward(x, w, bias, y, g);
        return;
    }
    const ConvPlan p = make_plan<T>(g);
    const int64_t items = g.batch * p.tiles;
    const bool over_items = p.worth_threads && items >= get_num_threads();
    // For a shallow GEMM (few input taps, memory-bound) without groups, the bias rides in the GEMM: a row of
    // ones under the columns and the bias as an extra weight column, so y needs no second pass (measured 10%
    // faster forward on 1->32 channels). A deep GEMM is compute-bound and an odd depth slows it (10% on
    // 64->64 channels), so there the bias is added afterwards.
    const bool bias_in_gemm = bias && g.groups == 1 && !p.direct && p.col_rows > 0 && p.col_rows <= 32;
    const int64_t depth = p.group_depth + (bias_in_gemm ? 1 : 0);
    std::unique_ptr<T[]> weight_and_bias;
    if (bias_in_gemm) {
        weight_and_bias.reset(new T[g.out_channels * depth]);
        for (int64_t k = 0; k < g.out_channels; ++k) {
            std::copy(w + k * p.col_rows, w + (k + 1) * p.col_rows, weight_and_bias.get() + k * depth);
            weight_and_bias[k * depth + p.col_rows] = bias[k];
        }
    }
    const T* weight = bias_in_gemm ? weight_and_bias.get() : w;
#pragma omp parallel if (over_items)
    {
        std::unique_ptr<T[]> cols = column_buffer<T>(p, g, bias_in_gemm ? 1 : 0);
#pragma omp for schedule(static)
        for (int64_t item = 0; item < items; ++item) {
            const int64_t n = item / p.tiles;
            const int64_t oh0 = (item % p.tiles) * p.tile_rows;
            const int64_t oh1 = std::min(g.out_h, oh0 + p.tile_rows);
            const int64_t width = (oh1 - oh0) * g.out_w;
            const T* image = x + n * g.in_channels * p.in_plane;
            T* out = y + n * g.out_channels * p.out_plane + oh0 * g.out_w;
            const T* src = image;
            if (!p.direct) {
                im2col(image, g, oh0, oh1, cols.get());
                if (bias_in_gemm)
                    std::fill(cols.get() + p.col_rows * width, cols.get() + depth * width, T(1));
                src = cols.get();
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
        }
    }
}

template <typename T>
void conv2d_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const ConvGeometry& g) {
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
    // dx by im2col (col2im of W^T dY) in the loop below, or null when Winograd computes it here.
    T* dx_cols = dx;
    if (dx && conv2d_algorithm(g, ConvPass::backward_data) == ConvAlgorithm::winograd) {
        winograd_backward_data(w, dy, dx, g);
        dx_cols = nullptr;
    }
    if (!dx_cols && !dw) return;
    const int64_t weight_size = g.out_channels * p.group_depth;
    const int threads = get_num_threads();
    const bool over_images = p.worth_threads && g.batch >= threads;
    // dW is accumulated transposed, group by group: dW_g^T (Cg*kh*kw x K/groups) += cols_g dY_g^T, a tall
    // GEMM with a short output row (measured 1 thread, 64->64 3x3 on 32x32: 85 GFLOP/s against 72 for the
    // wide dW_g = dY_g cols_g^T). Each thread accumulates over its images in its own buffer; the buffers
    // are summed and transposed into dw at the end.
    const int accumulators = over_images ? threads : 1;
    std::unique_ptr<T[]> partials;
    if (dw) partials.reset(new T[accumulators * weight_size]());  // zeroed: a thread may get no image
#pragma omp parallel if (over_images)
    {
        std::unique_ptr<T[]> cols = column_buffer<T>(p, g);
        T* dw_acc = dw ? partials.get() + (over_images ? thread_index() : 0) * weight_size : nullptr;
#pragma omp for schedule(static)
        for (int64_t n = 0; n < g.batch; ++n) {
            const T* image = x + n * g.in_channels * p.in_plane;
            const T* dy_n = dy + n * g.out_channels * p.out_plane;
            T* dx_n = dx_cols ? dx_cols + n * g.in_channels * p.in_plane : nullptr;
            if (dx_n && !p.direct) std::fill(dx_n, dx_n + g.in_channels * p.in_plane, T(0));
            for (int64_t t = 0; t < p.tiles; ++t) {
                const int64_t oh0 = t * p.tile_rows, oh1 = std::min(g.out_h, oh0 + p.tile_rows);
                const int64_t width = (oh1 - oh0) * g.out_w;
                const T* dy_tile = dy_n + oh0 * g.out_w;
                if (dw && p.group_depth > 0) {
                    const T* src = image;
                    if (!p.direct) {
                        im2col(image, g, oh0, oh1, cols.get());
                        src = cols.get();
                    }
                    for (int64_t gi = 0; gi < g.groups; ++gi)
                        gemm<T>(false, true, p.group_depth, p.group_out, width, T(1),
                                src + gi * p.group_depth * width, width,
                                dy_tile + gi * p.group_out * p.out_plane, p.out_plane, T(1),
                                dw_acc + gi * p.group_out * p.group_depth, p.group_out);
                }
                if (dx_n) {
                    // dcols = W^T dY, straight into dx for a direct convolution.
                    T* dst = p.direct ? dx_n : cols.get();
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
                    if (!p.direct) col2im(cols.get(), g, oh0, oh1, dx_n);
                }
            }
        }
    }
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

template void im2col<float>(const float*, const ConvGeometry&, int64_t, int64_t, float*);
template void im2col<double>(const double*, const ConvGeometry&, int64_t, int64_t, double*);
template void col2im<float>(const float*, const ConvGeometry&, int64_t, int64_t, float*);
template void col2im<double>(const double*, const ConvGeometry&, int64_t, int64_t, double*);
template void conv2d_forward<float>(const float*, const float*, const float*, float*, const ConvGeometry&);
template void conv2d_forward<double>(const double*, const double*, const double*, double*,
                                     const ConvGeometry&);
template void conv2d_backward<float>(const float*, const float*, const float*, float*, float*, float*,
                                     const ConvGeometry&);
template void conv2d_backward<double>(const double*, const double*, const double*, double*, double*, double*,
                                      const ConvGeometry&);

}  // namespace tl
