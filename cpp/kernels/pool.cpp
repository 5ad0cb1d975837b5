// Max / average / adaptive average pooling, forward and backward (formulas in pool.h).
// Each OpenMP thread takes whole planes, so the backward scatters never race. Loops visit only the taps
// inside the input (huge, padding-dominated windows cost what their in-bounds taps cost), and an empty
// output (forward) or input (backward) returns at once, however many (empty) planes there are.
#include "kernels/pool.h"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "kernels/parallel.h"
#include "kernels/window.h"

namespace tl {
namespace {


// One plane of max pooling. Taps are visited in row-major window order and only a strictly larger
// value (or the first NaN) replaces the running maximum, so ties keep the first maximum. The inner
// loop runs over a row of outputs for one tap (contiguous when stride is 1, vectorizable).
template <typename T, bool kIndices>
void max_pool_plane(const T* x, T* y, int64_t* idx, const PoolGeometry& geometry) {
    const PoolGeometry g = geometry;  // a local copy: the int64 index stores cannot alias it
    // Only taps that reach the input: columns j whose offset j*dw - pw meets [0, in_w) for some output
    // column (offsets -pw .. (out_w-1)*sw - pw), rows i inside for output row oh.
    const TapRange cols = taps_inside((g.out_w - 1) * g.stride_w - g.pad_w, g.dilation_w,
                                      g.in_w + (g.out_w - 1) * g.stride_w, g.kernel_w);
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
        T* yr = y + oh * g.out_w;
        int64_t* ir = kIndices ? idx + oh * g.out_w : nullptr;
        std::fill(yr, yr + g.out_w, -std::numeric_limits<T>::infinity());
        if (kIndices) std::fill(ir, ir + g.out_w, int64_t(-1));
        const TapRange rows = taps_inside(oh * g.stride_h - g.pad_h, g.dilation_h, g.in_h, g.kernel_h);
        for (int64_t i = rows.lo; i < rows.hi; ++i) {
            const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
            const T* xr = x + ih * g.in_w;
            for (int64_t j = cols.lo; j < cols.hi; ++j) {
                const int64_t off = j * g.dilation_w - g.pad_w;
                const TapRange r = tap_range(off, g.stride_w, g.in_w, g.out_w);
                for (int64_t ow = r.lo; ow < r.hi; ++ow) {
                    const int64_t iw = ow * g.stride_w + off;
                    const T v = xr[iw];
                    if (kIndices) {
                        if (v > yr[ow] || (v != v && yr[ow] == yr[ow]) || ir[ow] < 0) {
                            yr[ow] = v;
                            ir[ow] = ih * g.in_w + iw;
                        }
                    } else if (v > yr[ow] || v != v) {
                        yr[ow] = v;
                    }
                }
            }
        }
    }
}

// The common 2x2 / stride 2 / unpadded case: each output reads a, b (row 2oh) and c, d (row 2oh+1). The
// maximum comes first (NaN wins), then the index of the first tap equal to it (or the first NaN); written
// as selects so the loop vectorizes. Same first-maximum rule as max_pool_plane.
template <typename T, bool kIndices>
void max_pool_plane_2x2(const T* x, T* y, int64_t* idx, const PoolGeometry& g) {
    using Offset = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;  // as wide as T: vectorizes with it
    // Sizes in locals: the int64 index stores could otherwise alias g and block vectorization.
    const int64_t out_h = g.out_h, out_w = g.out_w, width = g.in_w;
    const Offset in_w = static_cast<Offset>(width);
    auto larger = [](T u, T v) { return v > u || (v != v && u == u) ? v : u; };  // u unless v wins
    for (int64_t oh = 0; oh < out_h; ++oh) {
        const T* r0 = x + 2 * oh * width;
        const T* r1 = r0 + width;
        T* yr = y + oh * out_w;
        int64_t* ir = kIndices ? idx + oh * out_w : nullptr;
        const int64_t base = 2 * oh * width;
        for (int64_t ow = 0; ow < out_w; ++ow) {
            const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
            const T m = larger(larger(a, b), larger(c, d));
            yr[ow] = m;
            if (kIndices) {
                Offset k = (c == m || c != c) ? in_w : in_w + 1;
                k = (b == m || b != b) ? 1 : k;
                k = (a == m || a != a) ? 0 : k;
                ir[ow] = base + 2 * ow + k;
            }
        }
    }
}

// PyTorch's average-pool window: bounds clipped to the input and the divisor.
struct AvgWindow {
    int64_t h0, h1, w0, w1;
    int64_t divisor;
};

AvgWindow avg_window(const PoolGeometry& g, int64_t oh, int64_t ow, bool count_include_pad,
                     int64_t divisor_override) {
    int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
    int64_t h1 = std::min(h0 + g.kernel_h, g.in_h + g.pad_h),
            w1 = std::min(w0 + g.kernel_w, g.in_w + g.pad_w);
    const int64_t padded_size = (h1 - h0) * (w1 - w0);
    h0 = std::max<int64_t>(h0, 0);
    w0 = std::max<int64_t>(w0, 0);
    h1 = std::min(h1, g.in_h);
    w1 = std::min(w1, g.in_w);
    const int64_t inside = std::max<int64_t>(h1 - h0, 0) * std::max<int64_t>(w1 - w0, 0);
    const int64_t divisor =
        divisor_override > 0 ? divisor_override : (count_include_pad ? padded_size : inside);
    return {h0, h1, w0, w1, divisor};
}

inline int64_t adaptive_start(int64_t o, int64_t in, int64_t out) { return o * in / out; }
inline int64_t adaptive_end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

}  // namespace

template <typename T>
void max_pool2d_forward(const T* x, T* y, int64_t* indices, const PoolGeometry& g) {
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    if (g.planes == 0 || out_plane == 0) return;
    // Every 2x2 window inside the input (out_h <= in_h / 2 also holds with ceil_mode's dropped window).
    const bool two_by_two = g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 &&
                            g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
                            2 * g.out_h <= g.in_h && 2 * g.out_w <= g.in_w &&
                            g.in_w < std::numeric_limits<int32_t>::max();  // its float offsets are 32-bit
#pragma omp parallel for schedule(static) if (g.planes * (in_plane + out_plane) > kPoolParallelMin)
    for (int64_t p = 0; p < g.planes; ++p) {
        const T* xp = x + p * in_plane;
        T* yp = y + p * out_plane;
        int64_t* ip = indices ? indices + p * out_plane : nullptr;
        if (two_by_two && ip) {
            max_pool_plane_2x2<T, true>(xp, yp, ip, g);
        } else if (two_by_two) {
            max_pool_plane_2x2<T, false>(xp, yp, nullptr, g);
        } else if (ip) {
            max_pool_plane<T, true>(xp, yp, ip, g);
        } else {
            max_pool_plane<T, false>(xp, yp, nullptr, g);
        }
    }
}

template <typename T>
int64_t max_pool2d_backward(const T* dy, const int64_t* indices, T* dx, const PoolGeometry& g) {
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    int64_t invalid = 0;
    if (g.planes == 0 || in_plane == 0) return 0;
#pragma omp parallel for schedule(static) \
    reduction(+ : invalid) if (g.planes * (in_plane + out_plane) > kPoolParallelMin)
    for (int64_t p = 0; p < g.planes; ++p) {
        T* dxp = dx + p * in_plane;
        std::fill(dxp, dxp + in_plane, T(0));
        const T* dyp = dy + p * out_plane;
        const int64_t* ip = indices + p * out_plane;
        for (int64_t q = 0; q < out_plane; ++q) {
            if (ip[q] == -1) continue;  // a window of padding only: no input gets its gradient
            if (ip[q] < 0 || ip[q] >= in_plane) {
                ++invalid;
                continue;
            }
            dxp[ip[q]] += dyp[q];
        }
    }
    return invalid;
}

template <typename T>
void avg_pool2d_forward(const T* x, T* y, const PoolGeometry& g, bool count_include_pad,
                        int64_t divisor_override) {
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    if (g.planes == 0 || out_plane == 0) return;
#pragma omp parallel for schedule(static) if (g.planes * (in_plane + out_plane) > kPoolParallelMin)
    for (int64_t p = 0; p < g.planes; ++p) {
        const T* xp = x + p * in_plane;
        T* yp = y + p * out_plane;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
            for (int64_t ow = 0; ow < g.out_w; ++ow) {
                const AvgWindow win = avg_window(g, oh, ow, count_include_pad, divisor_override);
                T sum = T(0);
                for (int64_t ih = win.h0; ih < win.h1; ++ih)
                    for (int64_t iw = win.w0; iw < win.w1; ++iw) sum += xp[ih * g.in_w + iw];
                yp[oh * g.out_w + ow] = win.divisor > 0 ? sum / static_cast<T>(win.divisor) : T(0);
            }
        }
    }
}

template <typename T>
void avg_pool2d_backward(const T* dy, T* dx, const PoolGeometry& g, bool count_include_pad,
                         int64_t divisor_override) {
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    if (g.planes == 0 || in_plane == 0) return;
#pragma omp parallel for schedule(static) if (g.planes * (in_plane + out_plane) > kPoolParallelMin)
    for (int64_t p = 0; p < g.planes; ++p) {
        T* dxp = dx + p * in_plane;
        std::fill(dxp, dxp + in_plane, T(0));
        const T* dyp = dy + p * out_plane;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
            for (int64_t ow = 0; ow < g.out_w; ++ow) {
                const AvgWindow win = avg_window(g, oh, ow, count_include_pad, divisor_override);
                if (win.divisor <= 0) continue;
                const T share = dyp[oh * g.out_w + ow] / static_cast<T>(win.divisor);
                for (int64_t ih = win.h0; ih < win.h1; ++ih)
                    for (int64_t iw = win.w0; iw < win.w1; ++iw) dxp[ih * g.in_w + iw] += share;
            }
        }
    }
}

template <typename T>
void adaptive_avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                                 int64_t out_w) {
    if (planes == 0 || out_h * out_w == 0) return;
#pragma omp parallel for schedule(static) if (planes * (in_h * in_w + out_h * out_w) > kPoolParallelMin)
    for (int64_t p = 0; p < planes; ++p) {
        const T* xp = x + p * in_h * in_w;
        T* yp = y + p * out_h * out_w;
        for (int64_t oh = 0; oh < out_h; ++oh) {
            const int64_t h0 = adaptive_start(oh, in_h, out_h), h1 = adaptive_end(oh, in_h, out_h);
            for (int64_t ow = 0; ow < out_w; ++ow) {
                const int64_t w0 = adaptive_start(ow, in_w, out_w), w1 = adaptive_end(ow, in_w, out_w);
                T sum = T(0);
                for (int64_t ih = h0; ih < h1; ++ih)
                    for (int64_t iw = w0; iw < w1; ++iw) sum += xp[ih * in_w + iw];
                yp[oh * out_w + ow] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
            }
        }
    }
}

template <typename T>
void adaptive_avg_pool2d_backward(const T* dy, T* dx, int64_t planes, int64_t in_h, int64_t in_w,
                                  int64_t out_h, int64_t out_w) {
    if (planes == 0 || in_h * in_w == 0) return;
#pragma omp parallel for schedule(static) if (planes * (in_h * in_w + out_h * out_w) > kPoolParallelMin)
    for (int64_t p = 0; p < planes; ++p) {
        T* dxp = dx + p * in_h * in_w;
        std::fill(dxp, dxp + in_h * in_w, T(0));
        const T* dyp = dy + p * out_h * out_w;
        for (int64_t oh = 0; oh < out_h; ++oh) {
            const int64_t h0 = adaptive_start(oh, in_h, out_h), h1 = adaptive_end(oh, in_h, out_h);
            for (int64_t ow = 0; ow < out_w; ++ow) {
                const int64_t w0 = adaptive_start(ow, in_w, out_w), w1 = adaptive_end(ow, in_w, out_w);
                const T share = dyp[oh * out_w + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
                for (int64_t ih = h0; ih < h1; ++ih)
                    for (int64_t iw = w0; iw < w1; ++iw) dxp[ih * in_w + iw] += share;
            }
        }
    }
}

#define TL_POOL_INSTANTIATE(T)                                                                               \
    template void max_pool2d_forward<T>(const T*, T*, int64_t*, const PoolGeometry&);                        \
    template int64_t max_pool2d_backward<T>(const T*, const int64_t*, T*, const PoolGeometry&);              \
    template void avg_pool2d_forward<T>(const T*, T*, const PoolGeometry&, bool, int64_t);                   \
    template void avg_pool2d_backward<T>(const T*, T*, const PoolGeometry&, bool, int64_t);                  \
    template void adaptive_avg_pool2d_forward<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t, int64_t); \
    template void adaptive_avg_pool2d_backward<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t, int64_t);
TL_POOL_INSTANTIATE(float)
TL_POOL_INSTANTIATE(double)
#undef TL_POOL_INSTANTIATE

}  // namespace tl
