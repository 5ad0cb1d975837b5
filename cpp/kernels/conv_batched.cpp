// The batched-columns path of conv2d (formulas in conv.h): for small images, whose output has few
// positions P = out_h*out_w, the columns of nb images are built side by side, cols (C*kh*kw x nb*P), so
// that one GEMM per block of images (and group) replaces nb tiny ones:
//   forward  Y_blk (K x nb*P) = W * cols, then scattered to NCHW with the bias added;
//   dW       dW^T += cols * dY_blk^T, with dY_blk (K x nb*P) gathered from NCHW;
//   dX       dcols = W^T * dY_blk, then col2im per image.
// Per-image GEMMs with a few dozen columns spend most of their time packing and in partial register tiles
// (LeNet's 6->16 5x5 on 14x14: P = 100; MNIST-1D's convolutions: P = 5-20). Blocks are sized so that
// their columns stay in L2 (kBatchedBlockValues), and split over the threads, a block each.
#include "kernels/conv_batched.h"

#include <algorithm>
#include <memory>

#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernels/runtime.h"

namespace tl {
namespace {

// How a batch splits into blocks of images: nb images per block, blocks of them, team threads.
struct BatchedPlan {
    int64_t images_per_block, blocks, out_plane, col_rows, group_depth, group_out;
    int team;
};

BatchedPlan batched_plan(const ConvGeometry& g) {
    BatchedPlan p;
    p.out_plane = g.out_h * g.out_w;
    p.col_rows = g.in_channels * g.kernel_h * g.kernel_w;
    p.group_depth = p.col_rows / g.groups;
    p.group_out = g.out_channels / g.groups;
    // The columns of one image, and of the dY / Y block beside them, bound how many images fit the budget.
    const int64_t per_image = std::max<int64_t>(1, mul_sat(p.col_rows + g.out_channels, p.out_plane));
    const int64_t fit = std::clamp<int64_t>(kBatchedBlockValues / per_image, 1, std::max<int64_t>(g.batch, 1));
    const int threads = get_num_threads();
    const bool worth_threads =
        threads > 1 && mul_sat(mul_sat(g.batch, g.out_channels), mul_sat(p.out_plane, p.group_depth)) >=
                           kConvParallelMinWork;
    int64_t blocks = ceil_div(g.batch, fit);
    // As many blocks as a multiple of the threads (when there are enough images), so each gets its share.
    if (worth_threads) blocks = std::min<int64_t>(g.batch, ceil_div(blocks, threads) * threads);
    p.images_per_block = ceil_div(g.batch, std::max<int64_t>(blocks, 1));
    p.blocks = ceil_div(g.batch, p.images_per_block);
    p.team = worth_threads ? static_cast<int>(std::min<int64_t>(threads, p.blocks)) : 1;
    return p;
}

// cols (col_rows x nb*P) := the columns of images [n0, n0 + nb), image i in columns [i*P, (i+1)*P).
template <typename T>
void block_columns(const T* x, const ConvGeometry& g, const BatchedPlan& p, int64_t n0, int64_t nb, T* cols) {
    const ConvTile whole{0, g.out_h, 0, g.out_w};
    const int64_t in_image = g.in_channels * g.in_h * g.in_w;
    for (int64_t i = 0; i < nb; ++i)
        im2col(x + (n0 + i) * in_image, g, whole, cols + i * p.out_plane, nb * p.out_plane);
}

// block (K x nb*P) := dy of images [n0, n0 + nb), image i in columns [i*P, (i+1)*P).
template <typename T>
void gather_block(const T* dy, const ConvGeometry& g, const BatchedPlan& p, int64_t n0, int64_t nb, T* block) {
    const int64_t width = nb * p.out_plane;
    for (int64_t i = 0; i < nb; ++i)
        for (int64_t k = 0; k < g.out_channels; ++k) {
            const T* src = dy + ((n0 + i) * g.out_channels + k) * p.out_plane;
            std::copy(src, src + p.out_plane, block + k * width + i * p.out_plane);
        }
}

}  // namespace

// Four dY rows at a time share each load of a column row; the SIMD lanes run along q, and each lane keeps
// its own partial sums (reduction), added up at the end.
template <typename T>
void thin_weight_gradient(int64_t depth, int64_t out_channels, int64_t width, const T* cols, int64_t ld_cols,
                          const T* dy, int64_t ld_dy, T* acc, int64_t ld_acc) {
    for (int64_t k0 = 0; k0 < out_channels; k0 += 4) {
        // Rows past the last repeat it (their sums are dropped), so the loop body has no branches.
        const T* r0 = dy + k0 * ld_dy;
        const T* r1 = dy + std::min(k0 + 1, out_channels - 1) * ld_dy;
        const T* r2 = dy + std::min(k0 + 2, out_channels - 1) * ld_dy;
        const T* r3 = dy + std::min(k0 + 3, out_channels - 1) * ld_dy;
        for (int64_t d = 0; d < depth; ++d) {
            const T* c = cols + d * ld_cols;
            T s0 = T(0), s1 = T(0), s2 = T(0), s3 = T(0);
#pragma omp simd reduction(+ : s0, s1, s2, s3)
            for (int64_t q = 0; q < width; ++q) {
                s0 += c[q] * r0[q];
                s1 += c[q] * r1[q];
                s2 += c[q] * r2[q];
                s3 += c[q] * r3[q];
            }
            const T sums[4] = {s0, s1, s2, s3};
            for (int64_t k = k0; k < std::min(k0 + 4, out_channels); ++k) acc[d * ld_acc + k] += sums[k - k0];
        }
    }
}

template <typename T>
void conv2d_forward_batched(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
    const BatchedPlan p = batched_plan(g);
    const int64_t cols_size = p.col_rows * p.images_per_block * p.out_plane;
    const int64_t out_size = g.out_channels * p.images_per_block * p.out_plane;
    // Written in full (im2col, GEMM with beta 0) before being read.
    std::unique_ptr<T[]> scratch = scratch_buffer_uninitialized<T>(p.team, cols_size + out_size);
    ParallelErrors errors;
#pragma omp parallel num_threads(p.team) if (p.team > 1)
    {
        T* cols = scratch.get() + thread_index() * (cols_size + out_size);
        T* out = cols + cols_size;
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < p.blocks; ++blk) errors.run([&] {
            const int64_t n0 = blk * p.images_per_block, nb = std::min(p.images_per_block, g.batch - n0);
            const int64_t width = nb * p.out_plane;
            block_columns(x, g, p, n0, nb, cols);
            for (int64_t gi = 0; gi < g.groups; ++gi)
                gemm<T>(false, false, p.group_out, width, p.group_depth, T(1), w + gi * p.group_out * p.group_depth,
                        p.group_depth, cols + gi * p.group_depth * width, width, T(0), out + gi * p.group_out * width,
                        width);
            for (int64_t i = 0; i < nb; ++i)
                for (int64_t k = 0; k < g.out_channels; ++k) {
                    const T* src = out + k * width + i * p.out_plane;
                    T* dst = y + ((n0 + i) * g.out_channels + k) * p.out_plane;
                    const T b = bias ? bias[k] : T(0);
                    for (int64_t q = 0; q < p.out_plane; ++q) dst[q] = src[q] + b;
                }
        });
    }
    errors.rethrow();
}

template <typename T>
void conv2d_backward_batched(const T* x, const T* w, const T* dy, T* dx, T* dw, const ConvGeometry& g) {
    const BatchedPlan p = batched_plan(g);
    const int64_t cols_size = p.col_rows * p.images_per_block * p.out_plane;
    const int64_t dy_size = g.out_channels * p.images_per_block * p.out_plane;
    const int64_t weight_size = g.out_channels * p.group_depth;
    const int64_t in_image = g.in_channels * g.in_h * g.in_w;
    // Written in full (the gathered dY, im2col or the dcols GEMM with beta 0) before being read.
    std::unique_ptr<T[]> scratch = scratch_buffer_uninitialized<T>(p.team, cols_size + dy_size);
    // dW^T per group (group_depth x group_out, as in conv.cpp's im2col path: the tall product is the faster
    // one), one zeroed accumulator per thread, summed and transposed into dw at the end.
    std::unique_ptr<T[]> partials = scratch_buffer<T>(dw ? p.team : 0, weight_size);
    ParallelErrors errors;
#pragma omp parallel num_threads(p.team) if (p.team > 1)
    {
        T* cols = scratch.get() + thread_index() * (cols_size + dy_size);
        T* dy_block = cols + cols_size;
        T* dw_acc = dw ? partials.get() + thread_index() * weight_size : nullptr;
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < p.blocks; ++blk) errors.run([&] {
            const int64_t n0 = blk * p.images_per_block, nb = std::min(p.images_per_block, g.batch - n0);
            const int64_t width = nb * p.out_plane;
            gather_block(dy, g, p, n0, nb, dy_block);
            if (dw && p.group_depth > 0) {
                block_columns(x, g, p, n0, nb, cols);
                for (int64_t gi = 0; gi < g.groups; ++gi) {
                    const T* cols_g = cols + gi * p.group_depth * width;
                    const T* dy_g = dy_block + gi * p.group_out * width;
                    T* acc_g = dw_acc + gi * p.group_out * p.group_depth;
                    if (p.group_depth <= kThinWeightGradientMaxDepth)
                        thin_weight_gradient(p.group_depth, p.group_out, width, cols_g, width, dy_g, width, acc_g,
                                             p.group_out);
                    else
                        gemm<T>(false, true, p.group_depth, p.group_out, width, T(1), cols_g, width, dy_g, width,
                                T(1), acc_g, p.group_out);
                }
            }
            if (dx) {
                // dcols = W^T dY_blk (overwriting the columns, which dW has used), then col2im per image.
                for (int64_t gi = 0; gi < g.groups; ++gi)
                    gemm<T>(true, false, p.group_depth, width, p.group_out, T(1), w + gi * p.group_out * p.group_depth,
                            p.group_depth, dy_block + gi * p.group_out * width, width, T(0),
                            cols + gi * p.group_depth * width, width);
                const ConvTile whole{0, g.out_h, 0, g.out_w};
                for (int64_t i = 0; i < nb; ++i) {
                    T* dx_n = dx + (n0 + i) * in_image;
                    std::fill(dx_n, dx_n + in_image, T(0));
                    col2im(cols + i * p.out_plane, g, whole, dx_n, width);
                }
            }
        });
    }
    errors.rethrow();
    if (!dw) return;
    // dw[g, k, d] = sum over threads of dW_g^T[d, k], at partials + g*Kg*Dg + d*Kg + k.
    for (int64_t row = 0; row < g.out_channels; ++row) {
        const int64_t gi = row / std::max<int64_t>(p.group_out, 1), k = row - gi * p.group_out;
        const T* group = partials.get() + gi * p.group_out * p.group_depth + k;
        for (int64_t d = 0; d < p.group_depth; ++d) {
            T sum = T(0);
            for (int t = 0; t < p.team; ++t) sum += group[t * weight_size + d * p.group_out];
            dw[row * p.group_depth + d] = sum;
        }
    }
}

template void thin_weight_gradient<float>(int64_t, int64_t, int64_t, const float*, int64_t, const float*,
                                          int64_t, float*, int64_t);
template void thin_weight_gradient<double>(int64_t, int64_t, int64_t, const double*, int64_t, const double*,
                                           int64_t, double*, int64_t);
template void conv2d_forward_batched<float>(const float*, const float*, const float*, float*, const ConvGeometry&);
template void conv2d_forward_batched<double>(const double*, const double*, const double*, double*,
                                             const ConvGeometry&);
template void conv2d_backward_batched<float>(const float*, const float*, const float*, float*, float*,
                                             const ConvGeometry&);
template void conv2d_backward_batched<double>(const double*, const double*, const double*, double*, double*,
                                              const ConvGeometry&);

}  // namespace tl
