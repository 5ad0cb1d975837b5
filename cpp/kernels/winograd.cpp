// Winograd F(2x2, 3x3) convolution (formulas and layouts in winograd.h).
//
// Work unit: a chunk of tiles, either several whole tile rows (a tile row is the tiles_w tiles of one
// image's output rows 2*th, 2*th + 1; a chunk may run across images) or, when one tile row is over the
// budget, a segment of one tile row. For each chunk one thread
//   1. transforms the input patches of its tiles into V (16 x C x tiles),
//   2. runs the 16 GEMMs M_e = U_e V_e into M (16 x K x tiles),
//   3. transforms M back into 2x2 outputs (clipped at the bottom/right edges) and adds the bias,
// so V and M are written and read while they are in that core's cache. OpenMP runs over chunks, and each
// thread's GEMMs run single-threaded inside the parallel region. The chunking does not depend on the
// thread count, and neither does any sum, so the result is the same for any number of threads.
// Each thread's V, M and transform scratch are slices of buffers allocated before the parallel region.
// The output transform also reports whether every output is finite (see winograd.h).
// The weight gradient runs the same chunks: per chunk V from x and Z from dy, then 16 GEMMs adding
// Z_e V_e^T into the thread's partial sums, which are summed and transformed back into 3x3 filters at
// the end.
#include "kernels/winograd.h"

#include <algorithm>
#include <memory>
#include <numeric>

#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernels/runtime.h"

namespace tl {
namespace {

// V + M bytes per chunk: half of a core's 512 KiB L2, so a chunk's V and M stay in L2 between the
// transforms and the GEMMs while the GEMM's packed panels take the rest.
constexpr int64_t kChunkBytes = 256 * 1024;
// The weight gradient's V + Z bytes per chunk: its GEMMs run over the chunk's tiles (their depth) and
// update a K x C partial sum each, so longer chunks update those sums less often. Measured 2 threads,
// 64 -> 64 on 32 32x32 images: dW 8.4 ms with 256 KiB, 7.2 with 1 MiB, 7.5 with 2 MiB.
constexpr int64_t kGradientChunkBytes = 1024 * 1024;
// Tiles per chunk at least (one 16-wide microkernel panel), over the byte budget where channels are many:
// each GEMM reads all of U_e (K x C) for the chunk's tiles, and fewer tiles cannot pay for that (measured,
// 256 -> 256 channels on 8 16x16 images: 10.2 ms with chunks of 4 tiles, 7.0 ms with 16).
constexpr int64_t kMinChunkTiles = 16;
// Small problems are cut into at least this many chunks (above kMinChunkTiles each) so that the threads
// share them; a constant, not the thread count, so the result does not depend on the thread count.
constexpr int64_t kMinChunks = 4;

struct Plan {
    int64_t tiles_h, tiles_w;  // tile grid of one image: ceil(out_h / 2) x ceil(out_w / 2)
    int64_t rows;              // tile rows of the whole batch: batch * tiles_h
    int64_t chunk_rows;        // tile rows per chunk (1 when a row is cut into segments)
    int64_t segment;           // tiles per chunk row: tiles_w, or less when one row is over budget
    int64_t segments;          // segments per tile row
    int64_t chunks;
};

// Chunks of whole tile rows within the budget (kChunkBytes, kMinChunkTiles, kMinChunks), preferring a
// multiple of 16 tiles per chunk (the GEMM's n, a whole number of 16-wide microkernel panels); a tile row
// over budget is cut into segments of a multiple of 16 tiles.
Plan make_plan(const WinogradShape& s, int64_t elem_bytes, int64_t chunk_bytes = kChunkBytes) {
    Plan p;
    p.tiles_h = ceil_div(s.out_h, 2);
    p.tiles_w = ceil_div(s.out_w, 2);
    p.rows = s.batch * p.tiles_h;
    const int64_t tile_bytes = 16 * (s.in_channels + s.out_channels) * elem_bytes;
    const int64_t cache_tiles = chunk_bytes / std::max<int64_t>(tile_bytes, 1);
    const int64_t shared_tiles = p.rows * p.tiles_w / kMinChunks;
    const int64_t budget_tiles = std::max(kMinChunkTiles, std::min(cache_tiles, shared_tiles));
    const int64_t width = std::max<int64_t>(p.tiles_w, 1);
    if (width <= budget_tiles) {
        p.segment = p.tiles_w;
        p.segments = 1;
        const int64_t rows = budget_tiles / width;
        const int64_t step = 16 / std::gcd<int64_t>(width, 16);  // rows per multiple of 16 tiles
        p.chunk_rows = rows >= step ? rows / step * step : rows;
    } else {
        p.segments = ceil_div(width, std::max<int64_t>(16, budget_tiles / 16 * 16));
        p.segment = ceil_div(ceil_div(width, p.segments), 16) * 16;
        p.segments = ceil_div(width, p.segment);
        p.chunk_rows = 1;
    }
    p.chunks = p.tiles_w > 0 ? ceil_div(p.rows, p.chunk_rows) * p.segments : 0;
    return p;
}

// The tiles of chunk `index`: tile rows [row0, row1) (over the batch) times tile columns [tw0, tw1).
struct Chunk {
    int64_t row0, row1, tw0, tw1;
    int64_t width() const { return tw1 - tw0; }
    int64_t tiles() const { return (row1 - row0) * (tw1 - tw0); }
};

Chunk chunk_at(const Plan& p, int64_t index) {
    Chunk c;
    c.row0 = index / p.segments * p.chunk_rows;
    c.row1 = std::min(p.rows, c.row0 + p.chunk_rows);
    c.tw0 = index % p.segments * p.segment;
    c.tw1 = std::min(p.tiles_w, c.tw0 + p.segment);
    return c;
}

// even[j] := row[col0 + 2j], odd[j] := row[col0 + 2j + 1] for j < count, 0 outside [0, in_w) or when
// row is null (an input row outside the image). The tile loop then reads unit-stride columns.
template <typename T>
void load_deinterleaved(const T* row, int64_t in_w, int64_t col0, int64_t count, T* even, T* odd) {
    if (!row) {
        std::fill(even, even + count, T(0));
        std::fill(odd, odd + count, T(0));
        return;
    }
    // j in [lo, hi) has both columns inside: col0 + 2j >= 0 and col0 + 2j + 1 <= in_w - 1.
    const int64_t lo = std::clamp<int64_t>(col0 >= 0 ? 0 : (1 - col0) / 2, 0, count);
    const int64_t hi = std::clamp<int64_t>(in_w - 1 - col0 > 0 ? (in_w - 1 - col0 + 1) / 2 : 0, lo, count);
    auto at = [&](int64_t col) { return col >= 0 && col < in_w ? row[col] : T(0); };
    for (int64_t j = 0; j < lo; ++j) even[j] = at(col0 + 2 * j), odd[j] = at(col0 + 2 * j + 1);
    const T* src = row + col0;
#pragma omp simd
    for (int64_t j = lo; j < hi; ++j) {
        even[j] = src[2 * j];
        odd[j] = src[2 * j + 1];
    }
    for (int64_t j = hi; j < count; ++j) even[j] = at(col0 + 2 * j), odd[j] = at(col0 + 2 * j + 1);
}

// Asks the cache for the `bytes` bytes at p (a hint; nothing where the compiler has no builtin).
inline void prefetch(const void* p, int64_t bytes) {
#if defined(__GNUC__) || defined(__clang__)
    const char* bytes_at = static_cast<const char*>(p);
    for (int64_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(bytes_at + offset);
#else
    (void)p;
    (void)bytes;
#endif
}

// v[e*stride + c*tiles + t] := (B^T d B)_e for tile t of the chunk and channel c, with d the 4x4 patch
// of rows 2*th - pad_h + [0, 4) and columns 2*tw - pad_w + [0, 4). `scratch` holds 8 rows of chunk
// width + 1: the even and odd columns of 4 input rows (input row ih in slot ih mod 4, so the next tile
// row of the same image loads only its 2 new rows).
template <typename T>
void transform_input(const T* x, const WinogradShape& s, const Plan& p, const Chunk& ch, T* v, int64_t stride,
                     T* scratch) {
    const int64_t tiles = ch.tiles(), width = ch.width();
    const int64_t ld = width + 1, plane_size = s.in_h * s.in_w;
    auto even = [&](int64_t slot) { return scratch + 2 * slot * ld; };
    auto odd = [&](int64_t slot) { return scratch + (2 * slot + 1) * ld; };
    // The input rows the chunk reads, for prefetching a channel ahead (one block when within one image).
    const int64_t first_row = std::max<int64_t>(0, 2 * (ch.row0 % p.tiles_h) - s.pad_h);
    const int64_t block_rows = std::min(s.in_h - first_row, 2 * (ch.row1 - ch.row0) + 2);
    const T* block = x + (ch.row0 / p.tiles_h * s.in_channels) * plane_size + first_row * s.in_w;
    for (int64_t c = 0; c < s.in_channels; ++c) {
        if (c + 1 < s.in_channels && block_rows > 0)
            prefetch(block + (c + 1) * plane_size, block_rows * s.in_w * int64_t(sizeof(T)));
        int64_t loaded_th = -2;  // the tile row whose input rows the slots hold
        for (int64_t r = ch.row0; r < ch.row1; ++r) {
            const int64_t n = r / p.tiles_h, th = r % p.tiles_h, ih0 = 2 * th - s.pad_h;
            const T* plane = x + (n * s.in_channels + c) * plane_size;
            // After tile row th - 1 of the same image (th restarts at 0 in the next image), rows 0 and 1
            // of this patch row are rows 2 and 3 of the previous one.
            const int first_new = th == loaded_th + 1 ? 2 : 0;
            for (int q = first_new; q < 4; ++q) {
                const int64_t ih = ih0 + q, slot = ((ih % 4) + 4) % 4;
                load_deinterleaved(ih >= 0 && ih < s.in_h ? plane + ih * s.in_w : nullptr, s.in_w,
                                   2 * ch.tw0 - s.pad_w, ld, even(slot), odd(slot));
            }
            loaded_th = th;
            // B^T d B per tile, in one pass: the patch's rows q are (a0, a1, a2, a3) = (even[j], odd[j],
            // even[j + 1], odd[j + 1]) of slot ih0 + q; B^T d has rows t0 = d0 - d2, t1 = d1 + d2,
            // t2 = d2 - d1, t3 = d1 - d3, and each row (c0, c1, c2, c3) becomes c0 - c2, c1 + c2, c2 - c1,
            // c1 - c3.
            const int64_t slot0 = ((ih0 % 4) + 4) % 4;
            const T *e0 = even(slot0), *o0 = odd(slot0), *e1 = even((slot0 + 1) % 4), *o1 = odd((slot0 + 1) % 4);
            const T *e2 = even((slot0 + 2) % 4), *o2 = odd((slot0 + 2) % 4);
            const T *e3 = even((slot0 + 3) % 4), *o3 = odd((slot0 + 3) % 4);
            T* out = v + c * tiles + (r - ch.row0) * width;
#pragma omp simd
            for (int64_t j = 0; j < width; ++j) {
                const T d[4][4] = {{e0[j], o0[j], e0[j + 1], o0[j + 1]},
                                   {e1[j], o1[j], e1[j + 1], o1[j + 1]},
                                   {e2[j], o2[j], e2[j + 1], o2[j + 1]},
                                   {e3[j], o3[j], e3[j + 1], o3[j + 1]}};
                T t[4][4];
                for (int col = 0; col < 4; ++col) {
                    t[0][col] = d[0][col] - d[2][col];
                    t[1][col] = d[1][col] + d[2][col];
                    t[2][col] = d[2][col] - d[1][col];
                    t[3][col] = d[1][col] - d[3][col];
                }
                for (int i = 0; i < 4; ++i) {
                    T* row = out + 4 * i * stride;
                    row[j] = t[i][0] - t[i][2];
                    row[stride + j] = t[i][1] + t[i][2];
                    row[2 * stride + j] = t[i][2] - t[i][1];
                    row[3 * stride + j] = t[i][1] - t[i][3];
                }
            }
        }
    }
}

// y := A^T M A + bias for every tile of the chunk, clipped to out_h x out_w, where
// M_e[k, t] = m[e*stride + k*tiles + t]; returns false when an output is not finite.
// `scratch` holds 2 rows of chunk width (a clipped second output row).
template <typename T>
bool transform_output(const T* m, int64_t stride, const T* bias, T* y, const WinogradShape& s, const Plan& p,
                      const Chunk& ch, T* scratch) {
    const int64_t tiles = ch.tiles(), width = ch.width();
    // Tiles [0, full) of a chunk row have both output columns inside; an odd out_w clips the last one.
    const int64_t full = std::min(width, (s.out_w - 2 * ch.tw0) / 2);
    // Sum of (output pair sum) * 0 over the chunk: 0 while every output is finite, NaN otherwise (an inf
    // or NaN output, or two outputs of opposite overflow, make their product with 0 NaN).
    T nonfinite = T(0);
    for (int64_t r = ch.row0; r < ch.row1; ++r) {
        const int64_t n = r / p.tiles_h, oh = 2 * (r % p.tiles_h);
        const bool both_rows = oh + 1 < s.out_h;
        for (int64_t k = 0; k < s.out_channels; ++k) {
            const T* in = m + k * tiles + (r - ch.row0) * width;
            const T b = bias ? bias[k] : T(0);
            T* out0 = y + ((n * s.out_channels + k) * s.out_h + oh) * s.out_w + 2 * ch.tw0;
            // The second output row, or scratch when the tile row is clipped at the bottom.
            T* out1 = both_rows ? out0 + s.out_w : scratch;
            T check = T(0);
            // A^T M A per tile: rows s0 = m0 + m1 + m2 and s1 = m1 - m2 - m3 of M's rows m0..m3, then of
            // each row (a0..a3) the outputs a0 + a1 + a2 and a1 - a2 - a3, plus the bias.
            auto tile = [&](int64_t j, T out[2][2]) {
                T s0[4], s1[4];
                for (int col = 0; col < 4; ++col) {
                    const T m0 = in[col * stride + j], m1 = in[(4 + col) * stride + j];
                    const T m2 = in[(8 + col) * stride + j], m3 = in[(12 + col) * stride + j];
                    s0[col] = m0 + m1 + m2;
                    s1[col] = m1 - m2 - m3;
                }
                out[0][0] = s0[0] + s0[1] + s0[2] + b;
                out[0][1] = s0[1] - s0[2] - s0[3] + b;
                out[1][0] = s1[0] + s1[1] + s1[2] + b;
                out[1][1] = s1[1] - s1[2] - s1[3] + b;
            };
#pragma omp simd reduction(+ : check)
            for (int64_t j = 0; j < full; ++j) {
                T o[2][2];
                tile(j, o);
                out1[2 * j] = o[1][0];
                out1[2 * j + 1] = o[1][1];
                out0[2 * j] = o[0][0];
                out0[2 * j + 1] = o[0][1];
                check += (o[0][0] + o[0][1]) * T(0);
                if (both_rows) check += (o[1][0] + o[1][1]) * T(0);
            }
            if (full < width) {  // an odd out_w: the last tile's left column only
                T o[2][2];
                tile(full, o);
                out1[2 * full] = o[1][0];
                out0[2 * full] = o[0][0];
                check += o[0][0] * T(0);
                if (both_rows) check += o[1][0] * T(0);
            }
            nonfinite += check;
        }
    }
    return nonfinite == T(0);
}

// z[e*stride + k*tiles + t] := (A dY A^T)_e for tile t of the chunk and output channel k, with dY the 2x2
// block of dy at rows 2*th + [0, 2), columns 2*tw + [0, 2), 0 outside out_h x out_w. A = [1 0; 1 1;
// 1 -1; 0 -1], so a pair (p, q) becomes (p, p + q, p - q, -q), first down the columns, then along the
// rows. `scratch` holds 4 rows of chunk width: the even and odd columns of the block's two rows.
template <typename T>
void transform_output_gradient(const T* dy, const WinogradShape& s, const Plan& p, const Chunk& ch, T* z,
                               int64_t stride, T* scratch) {
    const int64_t tiles = ch.tiles(), width = ch.width(), plane_size = s.out_h * s.out_w;
    T *e0 = scratch, *o0 = scratch + width, *e1 = scratch + 2 * width, *o1 = scratch + 3 * width;
    for (int64_t k = 0; k < s.out_channels; ++k) {
        for (int64_t r = ch.row0; r < ch.row1; ++r) {
            const int64_t n = r / p.tiles_h, oh = 2 * (r % p.tiles_h);
            const T* plane = dy + (n * s.out_channels + k) * plane_size;
            load_deinterleaved(plane + oh * s.out_w, s.out_w, 2 * ch.tw0, width, e0, o0);
            load_deinterleaved(oh + 1 < s.out_h ? plane + (oh + 1) * s.out_w : nullptr, s.out_w, 2 * ch.tw0,
                               width, e1, o1);
            T* out = z + k * tiles + (r - ch.row0) * width;
#pragma omp simd
            for (int64_t j = 0; j < width; ++j) {
                // Rows of A dY: (a, b), (a + c, b + d), (a - c, b - d), (-c, -d) for dY = [a b; c d].
                const T a = e0[j], b = o0[j], c = e1[j], d = o1[j];
                const T p_row[4] = {a, a + c, a - c, -c};
                const T q_row[4] = {b, b + d, b - d, -d};
                for (int i = 0; i < 4; ++i) {
                    T* row = out + 4 * i * stride;
                    row[j] = p_row[i];
                    row[stride + j] = p_row[i] + q_row[i];
                    row[2 * stride + j] = p_row[i] - q_row[i];
                    row[3 * stride + j] = -q_row[i];
                }
            }
        }
    }
}

// dw[kc] := G^T M G for filters kc in [begin, end) (kc = k*C + c), M_e = the sum over the team's partial
// sums m[t*slice + e*filters + kc], t < team, in that order; false when a value of dw is not finite.
// G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1]: a row (m0, m1, m2, m3) becomes (m0 + h, l, h + m3) with
// h = (m1 + m2) / 2, l = (m1 - m2) / 2.
template <typename T>
bool transform_weight_gradient(const T* m, int64_t slice, int team, int64_t filters, int64_t begin, int64_t end,
                               T* dw) {
    T nonfinite = T(0);
    for (int64_t kc = begin; kc < end; ++kc) {
        T mm[16];
        for (int e = 0; e < 16; ++e) {
            T sum = m[e * filters + kc];
            for (int t = 1; t < team; ++t) sum += m[t * slice + e * filters + kc];
            mm[e] = sum;
        }
        T rows[3][4];  // G^T M
        for (int col = 0; col < 4; ++col) {
            const T m0 = mm[col], m1 = mm[4 + col], m2 = mm[8 + col], m3 = mm[12 + col];
            const T h = T(0.5) * (m1 + m2);
            rows[0][col] = m0 + h;
            rows[1][col] = T(0.5) * (m1 - m2);
            rows[2][col] = h + m3;
        }
        T* out = dw + kc * 9;
        for (int a = 0; a < 3; ++a) {  // (G^T M) G
            const T m0 = rows[a][0], m1 = rows[a][1], m2 = rows[a][2], m3 = rows[a][3];
            const T h = T(0.5) * (m1 + m2);
            out[3 * a] = m0 + h;
            out[3 * a + 1] = T(0.5) * (m1 - m2);
            out[3 * a + 2] = h + m3;
            nonfinite += (out[3 * a] + out[3 * a + 1] + out[3 * a + 2]) * T(0);
        }
    }
    return nonfinite == T(0);
}

// V_e and M_e (or Z_e) start kStagger elements (a cache line) apart beyond their size: with sizes of a
// multiple of 4 KiB the 16 matrices would map to one L1 set, and the transforms touch all 16 at once.
template <typename T>
constexpr int64_t kStagger = 64 / sizeof(T);

// How the chunks of plan p run: OpenMP over the chunks by `size` threads where there are enough chunks
// and work, each thread's GEMMs single-threaded; else (size 1) one chunk after another, each GEMM using
// the threads. Each thread's slice of scratch holds V (16 x C x tiles), the operand on the output-channel
// side (16 x K x tiles: M, or the weight gradient's Z) and the transforms' scratch (8 rows of a chunk
// row's width + 1).
struct ChunkTeam {
    int size;
    int64_t v_size, k_size, slice;
};

template <typename T>
ChunkTeam chunk_team(const WinogradShape& s, const Plan& p) {
    const int64_t max_tiles = p.chunk_rows * p.segment;
    const int64_t work = s.batch * p.tiles_h * p.tiles_w * 16 * s.in_channels * s.out_channels;
    const int threads = get_num_threads();
    ChunkTeam team;
    team.size = threads > 1 && p.chunks >= threads && work >= kWinogradParallelMinWork ? threads : 1;
    team.v_size = 16 * (s.in_channels * max_tiles + kStagger<T>);
    team.k_size = 16 * (s.out_channels * max_tiles + kStagger<T>);
    team.slice = team.v_size + team.k_size + 8 * (p.segment + 1);
    return team;
}

}  // namespace

template <typename T>
void winograd_weight(const T* w, int64_t out_channels, int64_t in_channels, bool adjoint, T* u) {
    // u's filters d = o*in_channels + i are done kBlock at a time into a local block, then copied out
    // as 16 contiguous runs: storing each filter's 16 elements straight into u would touch 16 streams
    // whose distance (a power of two for power-of-two channel counts) maps them all to one cache set
    // (measured, 256 -> 256 channels on 1 thread: 2.8 ms that way, 0.58 ms this way).
    // Forward, filter d is w[d]. The adjoint's filter w'[o, i] = rot180(w[i, o]) transforms to
    // P (G w[i, o] G^T) P^T, with P swapping rows 0 and 3 (G rot180(g) G^T = (G J) g (G J)^T and
    // G J = P G): element (a, b) of G w[i, o] G^T lands at (s(a), s(b)), s = the swap of 0 and 3.
    constexpr int64_t kBlock = 64;
    constexpr int kSwap[4] = {3, 1, 2, 0};
    const int64_t filters = out_channels * in_channels;
#pragma omp parallel for schedule(static) if (filters > 16384 && get_num_threads() > 1)
    for (int64_t d0 = 0; d0 < filters; d0 += kBlock) {
        const int64_t count = std::min(kBlock, filters - d0);
        T block[16][kBlock];
        for (int64_t j = 0; j < count; ++j) {
            const int64_t d = d0 + j;
            const T* g = w + (adjoint ? (d % in_channels) * out_channels + d / in_channels : d) * 9;
            // G g (4 x 3): rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 of g's rows.
            T gg[4][3];
            for (int b = 0; b < 3; ++b) {
                const T r0 = g[b], r1 = g[3 + b], r2 = g[6 + b];
                gg[0][b] = r0;
                gg[1][b] = T(0.5) * (r0 + r1 + r2);
                gg[2][b] = T(0.5) * (r0 - r1 + r2);
                gg[3][b] = r2;
            }
            // (G g) G^T: the same combination of each row's three columns.
            for (int a = 0; a < 4; ++a) {
                const T c0 = gg[a][0], c1 = gg[a][1], c2 = gg[a][2];
                const T row[4] = {c0, T(0.5) * (c0 + c1 + c2), T(0.5) * (c0 - c1 + c2), c2};
                for (int b = 0; b < 4; ++b)
                    block[adjoint ? 4 * kSwap[a] + kSwap[b] : 4 * a + b][j] = row[b];
            }
        }
        for (int e = 0; e < 16; ++e) std::copy(block[e], block[e] + count, u + e * filters + d0);
    }
}

template <typename T>
bool winograd_conv2d(const T* x, const T* u, const T* bias, T* y, const WinogradShape& s) {
    const Plan p = make_plan(s, sizeof(T));
    const ChunkTeam team = chunk_team<T>(s, p);
    std::unique_ptr<T[]> buffers = scratch_buffer<T>(team.size, team.slice);
    ParallelErrors errors;
    bool finite = true;
#pragma omp parallel num_threads(team.size) if (team.size > 1) reduction(&& : finite)
    {
        T* v = buffers.get() + thread_index() * team.slice;
        T *m = v + team.v_size, *scratch = m + team.k_size;
#pragma omp for schedule(static)
        for (int64_t index = 0; index < p.chunks; ++index) errors.run([&] {
            const Chunk ch = chunk_at(p, index);
            const int64_t tiles = ch.tiles();
            const int64_t v_stride = s.in_channels * tiles + kStagger<T>;
            const int64_t m_stride = s.out_channels * tiles + kStagger<T>;
            transform_input(x, s, p, ch, v, v_stride, scratch);
            for (int e = 0; e < 16; ++e)
                gemm<T>(false, false, s.out_channels, tiles, s.in_channels, T(1),
                        u + e * s.out_channels * s.in_channels, s.in_channels, v + e * v_stride, tiles,
                        T(0), m + e * m_stride, tiles);
            finite = transform_output(m, m_stride, bias, y, s, p, ch, scratch) && finite;
        });
    }
    errors.rethrow();
    return finite;
}

template <typename T>
bool winograd_weight_gradient(const T* x, const T* dy, T* dw, const WinogradShape& s) {
    const int64_t filters = s.out_channels * s.in_channels;
    const Plan p = make_plan(s, sizeof(T), kGradientChunkBytes);
    const ChunkTeam team = chunk_team<T>(s, p);
    std::unique_ptr<T[]> buffers = scratch_buffer_uninitialized<T>(team.size, team.slice);
    // Zeroed: a thread may get no chunk.
    std::unique_ptr<T[]> partials = scratch_buffer<T>(team.size, 16 * filters);
    ParallelErrors errors;
#pragma omp parallel num_threads(team.size) if (team.size > 1)
    {
        T* v = buffers.get() + thread_index() * team.slice;
        T *z = v + team.v_size, *scratch = z + team.k_size;
        T* m = partials.get() + thread_index() * 16 * filters;
#pragma omp for schedule(static)
        for (int64_t index = 0; index < p.chunks; ++index) errors.run([&] {
            const Chunk ch = chunk_at(p, index);
            const int64_t tiles = ch.tiles();
            const int64_t v_stride = s.in_channels * tiles + kStagger<T>;
            const int64_t z_stride = s.out_channels * tiles + kStagger<T>;
            transform_input(x, s, p, ch, v, v_stride, scratch);
            transform_output_gradient(dy, s, p, ch, z, z_stride, scratch);
            for (int e = 0; e < 16; ++e)
                gemm<T>(false, true, s.out_channels, s.in_channels, tiles, T(1), z + e * z_stride, tiles,
                        v + e * v_stride, tiles, T(1), m + e * filters, s.in_channels);
        });
    }
    errors.rethrow();
    bool finite = true;
#pragma omp parallel for schedule(static) reduction(&& : finite) if (team.size > 1 && filters >= 4096)
    for (int64_t block = 0; block < filters; block += 256)
        finite = transform_weight_gradient(partials.get(), 16 * filters, team.size, filters, block,
                                           std::min(filters, block + 256), dw) && finite;
    return finite;
}

template void winograd_weight<float>(const float*, int64_t, int64_t, bool, float*);
template void winograd_weight<double>(const double*, int64_t, int64_t, bool, double*);
template bool winograd_conv2d<float>(const float*, const float*, const float*, float*, const WinogradShape&);
template bool winograd_weight_gradient<float>(const float*, const float*, float*, const WinogradShape&);
template bool winograd_weight_gradient<double>(const double*, const double*, double*, const WinogradShape&);
template bool winograd_conv2d<double>(const double*, const double*, const double*, double*,
                                      const WinogradShape&);

}  // namespace tl
