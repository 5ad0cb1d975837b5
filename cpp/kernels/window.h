// Sliding-window index arithmetic shared by the convolution and pooling kernels.
#pragma once
#include <algorithm>
#include <cstdint>

namespace tl {

// The output positions o in [lo, hi) whose input index o*stride + offset lies in [0, in_size).
// offset = tap * dilation - padding. Outside [lo, hi) the tap reads padding.
struct TapRange {
    int64_t lo, hi;
};

inline TapRange tap_range(int64_t offset, int64_t stride, int64_t in_size, int64_t out_size) {
    const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    const int64_t last = in_size - 1 - offset;  // o*stride <= last
    const int64_t hi = last < 0 ? 0 : std::min(out_size, last / stride + 1);
    return {std::min(lo, hi), hi};
}

// The taps t in [lo, hi) of a kernel of `kernel` taps whose index first + t*dilation lies in [0, in_size)
// (first = o*stride - padding for one output o). Loops over these only, so a huge, mostly padding
// window costs what its in-bounds taps cost.
inline TapRange taps_inside(int64_t first, int64_t dilation, int64_t in_size, int64_t kernel) {
    const int64_t lo = first >= 0 ? 0 : (-first + dilation - 1) / dilation;
    const int64_t last = in_size - 1 - first;  // t*dilation <= last
    const int64_t hi = last < 0 ? 0 : std::min(kernel, last / dilation + 1);
    return {std::min(lo, hi), hi};
}

}  // namespace tl
