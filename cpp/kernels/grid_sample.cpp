// Grid sampling forward and backward (formulas in grid_sample.h). Each output point computes its source
// coordinate, tap offsets and weights once and then loops over the channels. The backward scatter into
// d_input races only between rows of the same sample: whole samples per thread when there are enough of
// them, else rows per thread with atomic adds.
#include "kernels/grid_sample.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/parallel.h"
#include "kernels/runtime.h"

namespace tl {
namespace {


template <typename T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();

// Coordinates beyond this magnitude (infinite ones too) are replaced by a far-outside one so that the
// int64 conversion below is always defined (PyTorch's safe_downgrade_to_int_range). NaN is caught first.
template <typename T>
T safe_coordinate(T x) {
    return std::fabs(x) <= T(1 << 30) ? x : T(-100);
}

// x clipped to [0, size - 1]; *grad = d result / d x (0 where clipped, and for NaN PyTorch's 1).
template <typename T>
T clip_coordinate(T x, int64_t size, T* grad) {
    const T hi = T(size - 1);
    if (x <= T(0)) {
        *grad = T(0);
        return T(0);
    }
    if (x >= hi) {
        *grad = T(0);
        return hi;
    }
    *grad = T(1);
    return x;
}

// x reflected into [twice_low / 2, twice_high / 2] (the bounds doubled so they stay integers);
// *grad = +-1, the sign of d result / d x.
template <typename T>
T reflect_coordinate(T x, int64_t twice_low, int64_t twice_high, T* grad) {
    if (twice_low == twice_high) {
        *grad = T(0);
        return T(0);
    }
    const T low = T(twice_low) / 2, span = T(twice_high - twice_low) / 2;
    T sign = T(1);
    x -= low;
    if (x < T(0)) {
        sign = T(-1);
        x = -x;
    }
    const T extra = std::fmod(x, span);
    const bool even = std::fmod(std::floor(x / span), T(2)) == T(0);
    *grad = even ? sign : -sign;
    return even ? extra + low : span - extra + low;
}

// The source coordinate of normalized grid value `x` along an axis of `size`, and d source / d x.
template <GridSamplePadding P, typename T>
T source_coordinate(T x, int64_t size, const GridSampleGeometry& g, T* grad) {
    T mult = g.align_corners ? T(size - 1) / 2 : T(size) / 2;
    T s = g.align_corners ? (x + 1) / 2 * T(size - 1) : ((x + 1) * T(size) - 1) / 2;
    T d = T(1);
    if constexpr (P == GridSamplePadding::border) {
        s = clip_coordinate(s, size, &d);
        mult *= d;
    } else if constexpr (P == GridSamplePadding::reflection) {
        s = g.align_corners ? reflect_coordinate(s, 0, 2 * (size - 1), &d)
                            : reflect_coordinate(s, -1, 2 * size - 1, &d);
        mult *= d;
        s = clip_coordinate(s, size, &d);
        mult *= d;
    }
    *grad = mult;
    return s;
}

// The four bilinear taps of one output point: plane offsets (-1 when outside) and weights.
template <typename T>
struct Taps {
    int64_t offset[4];  // nw, ne, sw, se
    T weight[4];
    T ix, iy, gx, gy;   // source coordinate and d source / d grid
    int64_t x0, y0;
    bool nan;           // a NaN source coordinate: the output is NaN, nothing flows back to the input
};

template <GridSamplePadding P, typename T>
Taps<T> bilinear_taps(const T* grid_point, const GridSampleGeometry& g) {
    Taps<T> t;
    t.ix = source_coordinate<P>(grid_point[0], g.in_w, g, &t.gx);
    t.iy = source_coordinate<P>(grid_point[1], g.in_h, g, &t.gy);
    t.nan = t.ix != t.ix || t.iy != t.iy;
    t.ix = safe_coordinate(t.nan ? T(-100) : t.ix);
    t.iy = safe_coordinate(t.nan ? T(-100) : t.iy);
    const T fx = std::floor(t.ix), fy = std::floor(t.iy);
    t.x0 = static_cast<int64_t>(fx);
    t.y0 = static_cast<int64_t>(fy);
    const T e = t.ix - fx, s = t.iy - fy;
    t.weight[0] = (1 - e) * (1 - s);
    t.weight[1] = e * (1 - s);
    t.weight[2] = (1 - e) * s;
    t.weight[3] = e * s;
    for (int k = 0; k < 4; ++k) {
        const int64_t x = t.x0 + (k & 1), y = t.y0 + (k >> 1);
        t.offset[k] = (x >= 0 && x < g.in_w && y >= 0 && y < g.in_h) ? y * g.in_w + x : -1;
    }
    return t;
}

// Plane offset of the nearest input pixel; -1 when outside, -2 for a NaN coordinate.
template <GridSamplePadding P, typename T>
int64_t nearest_offset(const T* grid_point, const GridSampleGeometry& g) {
    T unused;
    const T sx = source_coordinate<P>(grid_point[0], g.in_w, g, &unused);
    const T sy = source_coordinate<P>(grid_point[1], g.in_h, g, &unused);
    if (sx != sx || sy != sy) return -2;
    const int64_t x = static_cast<int64_t>(std::nearbyint(safe_coordinate(sx)));
    const int64_t y = static_cast<int64_t>(std::nearbyint(safe_coordinate(sy)));
    return (x >= 0 && x < g.in_w && y >= 0 && y < g.in_h) ? y * g.in_w + x : -1;
}

template <GridSampleMode M, GridSamplePadding P, typename T>
void forward_row(const T* input, const T* grid, T* output, const GridSampleGeometry& g, int64_t row) {
    const int64_t n = row / g.out_h, oh = row % g.out_h;
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    const T* x = input + n * g.channels * in_plane;
    T* y = output + n * g.channels * out_plane + oh * g.out_w;
    const T* gr = grid + row * g.out_w * 2;
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
        if constexpr (M == GridSampleMode::nearest) {
            const int64_t off = nearest_offset<P>(gr + 2 * ow, g);
            for (int64_t c = 0; c < g.channels; ++c)
                y[c * out_plane + ow] = off >= 0 ? x[c * in_plane + off] : off == -1 ? T(0) : kNaN<T>;
        } else {
            const Taps<T> t = bilinear_taps<P>(gr + 2 * ow, g);
            for (int64_t c = 0; c < g.channels; ++c) {
                const T* xc = x + c * in_plane;
                T v = t.nan ? kNaN<T> : T(0);
                for (int k = 0; k < 4; ++k)
                    if (t.offset[k] >= 0) v += xc[t.offset[k]] * t.weight[k];
                y[c * out_plane + ow] = v;
            }
        }
    }
}

template <bool kAtomic, typename T>
inline void accumulate(T* p, T v) {
    if constexpr (kAtomic) {
#pragma omp atomic
        *p += v;
    } else {
        *p += v;
    }
}

template <GridSampleMode M, GridSamplePadding P, bool kAtomic, typename T>
void backward_row(const T* input, const T* grid, const T* dy, T* dx, T* dgrid, const GridSampleGeometry& g,
                  int64_t row) {
    const int64_t n = row / g.out_h, oh = row % g.out_h;
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    const T* x = input + n * g.channels * in_plane;
    T* dxn = dx ? dx + n * g.channels * in_plane : nullptr;
    const T* dyr = dy + n * g.channels * out_plane + oh * g.out_w;
    const T* gr = grid + row * g.out_w * 2;
    T* dgr = dgrid ? dgrid + row * g.out_w * 2 : nullptr;
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
        if constexpr (M == GridSampleMode::nearest) {
            const int64_t off = nearest_offset<P>(gr + 2 * ow, g);
            if (dgr) dgr[2 * ow] = dgr[2 * ow + 1] = off == -2 ? kNaN<T> : T(0);
            if (dxn && off >= 0)
                for (int64_t c = 0; c < g.channels; ++c)
                    accumulate<kAtomic>(dxn + c * in_plane + off, dyr[c * out_plane + ow]);
            continue;
        }
        const Taps<T> t = bilinear_taps<P>(gr + 2 * ow, g);
        const T e = t.ix - T(t.x0), s = t.iy - T(t.y0);
        // d weight / d ix and d weight / d iy of the taps nw, ne, sw, se
        const T dwx[4] = {-(1 - s), 1 - s, -s, s};
        const T dwy[4] = {-(1 - e), -e, 1 - e, e};
        T gix = T(0), giy = T(0);
        for (int64_t c = 0; c < g.channels; ++c) {
            const T go = dyr[c * out_plane + ow];
            const T* xc = x + c * in_plane;
            for (int k = 0; k < 4; ++k) {
                if (t.offset[k] < 0) continue;
                if (dxn) accumulate<kAtomic>(dxn + c * in_plane + t.offset[k], t.weight[k] * go);
                const T v = xc[t.offset[k]] * go;
                gix += v * dwx[k];
                giy += v * dwy[k];
            }
        }
        if (dgr) {
            dgr[2 * ow] = t.nan ? kNaN<T> : gix * t.gx;
            dgr[2 * ow + 1] = t.nan ? kNaN<T> : giy * t.gy;
        }
    }
}

// Calls f(mode, padding) with both as compile-time constants, so each combination is its own loop.
template <typename F>
void dispatch_modes(const GridSampleGeometry& g, F&& f) {
    using Mode = GridSampleMode;
    using Pad = GridSamplePadding;
    auto with_padding = [&](auto mode) {
        switch (g.padding) {
            case Pad::zeros: return f(mode, std::integral_constant<Pad, Pad::zeros>{});
            case Pad::border: return f(mode, std::integral_constant<Pad, Pad::border>{});
            case Pad::reflection: return f(mode, std::integral_constant<Pad, Pad::reflection>{});
        }
    };
    if (g.mode == Mode::nearest)
        with_padding(std::integral_constant<Mode, Mode::nearest>{});
    else
        with_padding(std::integral_constant<Mode, Mode::bilinear>{});
}

}  // namespace

template <typename T>
void grid_sample_forward(const T* input, const T* grid, T* output, const GridSampleGeometry& g) {
    const int64_t rows = g.batch * g.out_h;
    const bool parallel = rows * g.out_w * g.channels > kGridSampleParallelMin;
    dispatch_modes(g, [&](auto mode, auto padding) {
#pragma omp parallel for schedule(static) if (parallel)
        for (int64_t r = 0; r < rows; ++r) forward_row<mode(), padding()>(input, grid, output, g, r);
    });
}

template <typename T>
void grid_sample_backward(const T* input, const T* grid, const T* d_output, T* d_input, T* d_grid,
                          const GridSampleGeometry& g) {
    const int64_t rows = g.batch * g.out_h;
    const int64_t in_total = g.batch * g.channels * g.in_h * g.in_w;
    const bool parallel = (rows * g.out_w + in_total) * g.channels > kGridSampleParallelMin &&
                          get_num_threads() > 1;
    if (d_input) {
#pragma omp parallel for schedule(static) if (parallel)
        for (int64_t i = 0; i < in_total; ++i) d_input[i] = T(0);
    }
    dispatch_modes(g, [&](auto mode, auto padding) {
        constexpr GridSampleMode M = mode();
        constexpr GridSamplePadding P = padding();
        if (!parallel) {
            for (int64_t r = 0; r < rows; ++r)
                backward_row<M, P, false>(input, grid, d_output, d_input, d_grid, g, r);
        } else if (g.batch >= get_num_threads() || !d_input) {
            // whole samples per thread: the d_input slabs they write are disjoint
#pragma omp parallel for schedule(static)
            for (int64_t n = 0; n < g.batch; ++n)
                for (int64_t r = n * g.out_h; r < (n + 1) * g.out_h; ++r)
                    backward_row<M, P, false>(input, grid, d_output, d_input, d_grid, g, r);
        } else {
#pragma omp parallel for schedule(static)
            for (int64_t r = 0; r < rows; ++r)
                backward_row<M, P, true>(input, grid, d_output, d_input, d_grid, g, r);
        }
    });
}

template void grid_sample_forward<float>(const float*, const float*, float*, const GridSampleGeometry&);
template void grid_sample_forward<double>(const double*, const double*, double*, const GridSampleGeometry&);
template void grid_sample_backward<float>(const float*, const float*, const float*, float*, float*,
                                          const GridSampleGeometry&);
template void grid_sample_backward<double>(const double*, const double*, const double*, double*, double*,
                                           const GridSampleGeometry&);

}  // namespace tl
