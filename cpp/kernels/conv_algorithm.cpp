// Which algorithm a conv2d pass runs (conv2d_algorithm, formulas in conv.h): the measured choice between
// Winograd, the direct path, the batched path and im2col (the algorithms themselves are in conv.cpp and winograd.cpp), and
// the override that tests and benchmarks set.
#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "kernels/conv.h"
#include "kernels/conv_batched.h"
#include "kernels/parallel.h"

namespace tl {
namespace {

// The direct path's band holds the zero-padded input rows; it runs only where that band (a whole image)
// is at most this many values or twice the image's input and output together (direct_band_fits): with
// large padding or dilation the band is almost all zeros (a 1x1 input, padding 50000, dilation 100000:
// 10^10 values for one output), and im2col's bounded tiles do the same work.
constexpr int64_t kDirectBandSlack = 1 << 20;
// Where Winograd runs (winograd_pays). Its 16 GEMMs have depth C, the input transform costs C and the
// output transform K per 2x2 tile, so it pays with enough input channels C, not too many output channels
// K per input channel, and enough tiles for the threads to share. Measured against the direct path (the
// alternative wherever Winograd applies), 2 threads, float32, N x C x H x H inputs, 3x3 pad 1, time ratio
// direct / Winograd, forward and dx:
//   C = 8 (K = 8-32, H = 16): 0.4-0.6x; C = 16 (K = 16-64): 0.6-0.7x; C = 32 (K = 32-64): 0.7-0.8x at
//   H = 16, 1.06-1.08x at H = 32; C = 48: 1.1-1.25x; C = 64: 1.3-1.5x (K = 64 or 128, H = 16 or 32);
//   C = 96-256: 1.4-2.6x; fewer than 128 tiles (N * ceil(out_h/2) * ceil(out_w/2)): 1.0x (2 x 64 x 8 x 8).
// (Against im2col, Winograd already paid from C = 8 with K <= C.)
constexpr int64_t kWinogradMinChannels = 48;  // C
constexpr int64_t kWinogradMinTiles = 128;
// dW by Winograd (16 GEMMs K x C over the tiles, plus a transform of x and one of dy per tile) against
// im2col's dW (one GEMM of depth C*9 per image; dot products for C*9 <= 32) or the batched path, whichever
// the rule picks otherwise. Measured 1 thread, float32, N x C x H x H, 3x3 pad 1, time of the other / Winograd:
//   C = 1, K = 32 (64 x 28 x 28): 0.58; C = 8, K = 32 (32 x 32 x 32): 0.81; C = 8, K = 8: 1.29;
//   C = 16, K = 16: 1.22 (H = 32), 1.75 (64 x 8 x 8); C = 32, K = 32-64: 1.33-1.81 (H = 4-32);
//   C = 48, K = 192: 1.34; C = 64, K = 64: 1.45-1.68, K = 128: 1.46; C = 256: 1.81; 2 x 64 x 8 x 8 (32
//   tiles): 1.11 against the batched path.
// The GEMMs' columns are the input channels, so few of them (a degenerate GEMM) lose, as do many output
// channels per input channel.
constexpr int64_t kWinogradWeightMinChannels = 16;  // C
constexpr int64_t kWinogradWeightMaxChannelRatio = 4;  // K / C
constexpr int64_t kWinogradWeightMinTiles = 32;

enum class Override { automatic, im2col, direct, winograd, batched };
std::atomic<Override>& algorithm_override() {
    static std::atomic<Override> slot{Override::automatic};
    return slot;
}

}  // namespace

// 3x3, stride 1, dilation 1, one group: the geometry winograd_conv2d computes (any padding).
bool winograd_applies(const ConvGeometry& g, ConvPass) {
    return g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 &&
           g.stride_w == 1 && g.dilation_h == 1 && g.dilation_w == 1 && g.groups == 1;
}

namespace {

// dX by the direct path computes C/groups output channels per group in 6-row register tiles: measured
// 2 threads, 3x3 on 28x28-32x32 images, direct / im2col time for dX: C = 1: 2.3x slower, C = 2: even,
// C = 3: 1.5x faster, C = 6-32: 1.6-2.4x faster.
constexpr int64_t kDirectMinInputGradChannels = 3;

// The direct path reads each output row in register tiles 16 (AVX2) or 32 (AVX-512) outputs wide, so
// rows narrower than this waste most of each tile: measured 1 thread, float32, (64, 32, 4, 4) x
// (64, 32, 3, 3) pad 1 (out_w 4): direct forward 1.24 ms, dx 1.47 ms against 0.79 / 0.59 batched and
// 0.96 / 0.66 im2col; at out_w 5 (MNIST-1D's third convolution) direct is the fastest forward.
constexpr int64_t kDirectMinOutputWidth = 5;
// Where the batched-columns path beats per-image im2col + GEMM (batched_pays): outputs of at most
// kBatchedAlwaysPositions positions, or of at most kBatchedDeepPositions with a GEMM depth
// C/groups*kh*kw of at least kBatchedMinDepth. Measured 1 thread, float32, time batched / im2col
// (forward, dx, dW):
//   MNIST-1D, batch 100, stride (1, 2): 1->25 (1,5) on 1x40 (P = 20, depth 5): 0.91, 0.74, 0.96;
//     25->25 (1,3) on 1x19 (P = 10): 0.81, 0.83, 0.76; on 1x10 (P = 5): 0.70, 0.79, 0.69;
//   digits CNN, batch 64: 32->64 3x3 on 4x4 (P = 16): 0.82, 0.89, 0.83; 1->32 3x3 on 8x8 (P = 64,
//     depth 9): 1.23, 1.48, 1.40;
//   32->32 3x3 on 8x8 (P = 64, batch 64): 0.94, 1.00, 0.97; LeNet's 6->16 5x5 on 14x14 (P = 100):
//     0.97, 0.98, 1.07; 16->32 3x3 stride 2 on 32x32 (P = 256, batch 32): 0.91, 0.96, 0.97;
//     16->32 3x3 on 16x16: 0.96, 1.01, 1.02; 3->16 3x3 on 32x32 (P = 1024): 1.27, 1.23, 1.11;
//     1->32 3x3 on 28x28: 1.57, 1.46, 1.41.
// Per-image GEMMs of a few dozen columns spend their time packing and in partial tiles; from about a
// hundred columns they are as fast, and the block's extra gather / scatter of Y and dY loses.
constexpr int64_t kBatchedAlwaysPositions = 32;
constexpr int64_t kBatchedDeepPositions = 64;
constexpr int64_t kBatchedMinDepth = 16;

}  // namespace

ConvGeometry conv2d_adjoint_geometry(const ConvGeometry& g) {
    ConvGeometry t = g;
    t.in_channels = g.out_channels;
    t.out_channels = g.in_channels;
    t.in_h = g.out_h;
    t.in_w = g.out_w;
    t.out_h = g.in_h;
    t.out_w = g.in_w;
    t.pad_h = (g.kernel_h - 1) * g.dilation_h - g.pad_h;
    t.pad_w = (g.kernel_w - 1) * g.dilation_w - g.pad_w;
    return t;
}

bool conv2d_image_is_columns(const ConvGeometry& g) {
    return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
           g.pad_w == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

namespace {

// Whether the direct path's band for a whole image of `t` (the convolution it runs) is within
// kDirectBandSlack values or twice the input and output planes together.
bool direct_band_fits(const ConvGeometry& t) {
    const int64_t rows = mul_sat(t.out_h - 1, t.stride_h) + mul_sat(t.kernel_h - 1, t.dilation_h) + 1;
    const int64_t width = mul_sat(t.stride_w, t.out_w + mul_sat(t.kernel_w - 1, t.dilation_w) / t.stride_w);
    const int64_t band = mul_sat(mul_sat(t.in_channels, rows), width);
    const int64_t planes = mul_sat(t.in_channels, mul_sat(t.in_h, t.in_w)) +
                           mul_sat(t.out_channels, mul_sat(t.out_h, t.out_w));
    return band <= std::max(kDirectBandSlack, mul_sat(2, planes));
}

// Where the direct path can run. It (GatheredGemm) needs consecutive outputs to read consecutive inputs:
// horizontal stride 1, or 2 with the band stored as even / odd phase planes (for dX, the adjoint
// convolution: both strides 1), and a band that fits; a 1x1 stride-1 unpadded convolution is already a
// plain GEMM on the image (conv2d_image_is_columns). The autotuner may time it where this holds.
bool direct_runs(const ConvGeometry& g, ConvPass pass) {
    if (pass == ConvPass::backward_weight) return false;
    const bool dx_ok = g.stride_h == 1 && g.stride_w == 1;
    return (pass == ConvPass::forward ? g.stride_w <= 2 : dx_ok) && !conv2d_image_is_columns(g) &&
           g.out_h > 0 && g.out_w > 0 && g.out_channels > 0 && g.in_channels > 0 &&
           direct_band_fits(pass == ConvPass::forward ? g : conv2d_adjoint_geometry(g));
}

}  // namespace

// Where the rule takes the direct path: where it runs, and for dX with enough input channels per group.
bool direct_applies(const ConvGeometry& g, ConvPass pass) {
    return direct_runs(g, pass) &&
           (pass == ConvPass::forward || g.in_channels / g.groups >= kDirectMinInputGradChannels);
}

bool batched_columns_applies(const ConvGeometry& g, ConvPass) {
    const int64_t per_image = mul_sat(g.in_channels * g.kernel_h * g.kernel_w + g.out_channels,
                                      mul_sat(g.out_h, g.out_w));
    return g.out_h > 0 && g.out_w > 0 && g.out_channels > 0 && g.in_channels > 0 &&
           per_image <= kBatchedBlockValues;
}

namespace {

// Whether Winograd is measured faster than the other algorithms for `pass` (constants above): for y and
// dx C >= 48, K <= 2C and at least 128 tiles of the pass's output; for dW C >= 16, K <= 4C and at least
// 32 tiles.
bool winograd_pays(const ConvGeometry& g, ConvPass pass) {
    const bool dx = pass == ConvPass::backward_data;
    const int64_t c = g.in_channels, k = g.out_channels;
    const int64_t h = dx ? g.in_h : g.out_h, w = dx ? g.in_w : g.out_w;
    const int64_t tiles = g.batch * ((h + 1) / 2) * ((w + 1) / 2);
    if (pass == ConvPass::backward_weight)
        return c >= kWinogradWeightMinChannels && k <= kWinogradWeightMaxChannelRatio * c &&
               tiles >= kWinogradWeightMinTiles;
    return c >= kWinogradMinChannels && k <= 2 * c && tiles >= kWinogradMinTiles;
}

// Whether the batched-columns path is measured faster than per-image im2col (constants above).
bool batched_pays(const ConvGeometry& g) {
    const int64_t positions = g.out_h * g.out_w;
    const int64_t depth = g.in_channels / g.groups * g.kernel_h * g.kernel_w;
    return positions <= kBatchedAlwaysPositions || (positions <= kBatchedDeepPositions && depth >= kBatchedMinDepth);
}

// The automatic choice among the algorithms other than Winograd (constants and measurements above): the
// direct path where it applies to rows at least kDirectMinOutputWidth wide (the rows it computes: y's for
// the forward pass, dx's for the adjoint), else the batched path where it pays, else im2col.
ConvAlgorithm automatic_without_winograd(const ConvGeometry& g, ConvPass pass) {
    const int64_t row_width = pass == ConvPass::backward_data ? g.in_w : g.out_w;
    if (direct_applies(g, pass) && row_width >= kDirectMinOutputWidth) return ConvAlgorithm::direct;
    if (batched_columns_applies(g, pass) && batched_pays(g)) return ConvAlgorithm::batched;
    return ConvAlgorithm::im2col;
}

}  // namespace

ConvAlgorithm conv2d_algorithm(const ConvGeometry& g, ConvPass pass) {
    const Override o = algorithm_override().load();
    if (o == Override::im2col) return ConvAlgorithm::im2col;
    if (o == Override::direct) return direct_applies(g, pass) ? ConvAlgorithm::direct : ConvAlgorithm::im2col;
    if (o == Override::batched)
        return batched_columns_applies(g, pass) ? ConvAlgorithm::batched : ConvAlgorithm::im2col;
    if (winograd_applies(g, pass) && (o == Override::winograd || winograd_pays(g, pass)))
        return ConvAlgorithm::winograd;
    return automatic_without_winograd(g, pass);
}

std::vector<ConvAlgorithm> conv2d_candidates(const ConvGeometry& g, ConvPass pass) {
    std::vector<ConvAlgorithm> out = {conv2d_algorithm(g, pass)};
    auto add = [&](ConvAlgorithm a, bool applies) {
        if (applies && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    };
    add(ConvAlgorithm::winograd, winograd_applies(g, pass));
    add(ConvAlgorithm::direct, direct_runs(g, pass));
    add(ConvAlgorithm::batched, batched_columns_applies(g, pass));
    add(ConvAlgorithm::im2col, true);
    return out;
}

const char* conv_algorithm_name(ConvAlgorithm a) {
    switch (a) {
        case ConvAlgorithm::winograd:
            return "winograd";
        case ConvAlgorithm::direct:
            return "direct";
        case ConvAlgorithm::batched:
            return "batched";
        default:
            return "im2col";
    }
}

void set_conv2d_algorithm(const std::string& name) {
    if (name == "auto") {
        algorithm_override().store(Override::automatic);
    } else if (name == "im2col") {
        algorithm_override().store(Override::im2col);
    } else if (name == "direct") {
        algorithm_override().store(Override::direct);
    } else if (name == "winograd") {
        algorithm_override().store(Override::winograd);
    } else if (name == "batched") {
        algorithm_override().store(Override::batched);
    } else {
        throw std::invalid_argument("set_conv2d_algorithm: unknown algorithm '" + name +
                                    "' (auto, im2col, direct, winograd or batched)");
    }
}

std::string conv2d_algorithm_override() {
    switch (algorithm_override().load()) {
        case Override::im2col:
            return "im2col";
        case Override::direct:
            return "direct";
        case Override::winograd:
            return "winograd";
        case Override::batched:
            return "batched";
        default:
            return "auto";
    }
}

// The algorithm to rerun a pass with when Winograd's result is not finite.
ConvAlgorithm conv2d_fallback_algorithm(const ConvGeometry& g, ConvPass pass) {
    switch (algorithm_override().load()) {
        case Override::im2col:
            return ConvAlgorithm::im2col;
        case Override::direct:
        case Override::batched:
            return conv2d_algorithm(g, pass);
        default:
            return automatic_without_winograd(g, pass);
    }
}

}  // namespace tl
