// 2-D grid sampling (PyTorch's grid_sample, NCHW), float and double; OpenMP over the N*out_h output rows.
// input (N, C, H, W), grid (N, out_h, out_w, 2) with grid[..., 0] = x (width), grid[..., 1] = y (height),
// both in [-1, 1]; output (N, C, out_h, out_w). All arrays contiguous.
//   source column  ix = ((x + 1) / 2) * (W - 1)       (align_corners)
//                  ix = ((x + 1) * W - 1) / 2         (otherwise; likewise iy with y and H)
//   padding:  zeros: taps outside the input read 0;  border: ix clipped to [0, W - 1];
//             reflection: ix reflected at the borders (at 0 and W - 1 with align_corners, at -0.5 and
//             W - 0.5 otherwise), then clipped.
//   bilinear: out = sum over the 4 taps (floor/ceil of ix, iy) of input * (1 - |ix - tx|)(1 - |iy - ty|);
//   nearest:  out = input at (round-half-even(iy), round-half-even(ix)).
// A NaN source coordinate gives NaN (output and d grid; nothing flows to d input); an infinite or huge one
// lies outside the input (reads 0 with zeros padding; clipped to the border with border padding;
// reflection of an infinite coordinate is NaN). PyTorch leaves these cases unspecified.
// Backward: d input += weight * d out at each tap; d grid = d out . d out/d(ix, iy) * d(ix, iy)/d(x, y)
// (0 where border/reflection clipping is active; 0 for nearest).
#pragma once
#include <cstdint>

namespace tl {

enum class GridSampleMode { bilinear = 0, nearest = 1 };
enum class GridSamplePadding { zeros = 0, border = 1, reflection = 2 };

struct GridSampleGeometry {
    int64_t batch, channels, in_h, in_w, out_h, out_w;
    GridSampleMode mode;
    GridSamplePadding padding;
    bool align_corners;
};

template <typename T>
void grid_sample_forward(const T* input, const T* grid, T* output, const GridSampleGeometry& g);

// d_input (N, C, H, W) and d_grid (N, out_h, out_w, 2) are overwritten; either may be null when not
// needed.
template <typename T>
void grid_sample_backward(const T* input, const T* grid, const T* d_output, T* d_input, T* d_grid,
                          const GridSampleGeometry& g);

}  // namespace tl
