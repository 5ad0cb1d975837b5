// Bindings of the convolution kernels (cpp/kernels/conv.h: direct, im2col + GEMM or Winograd, chosen per
// configuration) and the pooling kernels (pool.h). The window arguments (kernel size, stride, padding,
// dilation, groups) are checked here only as far as memory safety needs: in range and consistent with
// the array shapes. The user-facing messages about them are in src/tensorlite/ops/.
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include "bindings/common.h"
#include "bindings/module.h"
#include "kernels/conv.h"
#include "kernels/pool.h"

namespace tl::bindings {
namespace {

using Pair = std::array<int64_t, 2>;

std::string pair_str(const Pair& p) { return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")"; }

void require_4d(const char* op, const char* name, const py::array& a) {
    if (a.ndim() != 4)
        throw py::value_error(std::string(op) + ": " + name + " must be 4-D (N, C, H, W), got shape " +
                              shape_str(a));
}

void require_at_least(const char* op, const char* name, const Pair& p, int64_t minimum) {
    if (p[0] < minimum || p[1] < minimum)
        throw py::value_error(std::string(op) + ": " + name + " must be >= " + std::to_string(minimum) +
                              ", got " + pair_str(p));
}

// The largest kernel size, stride, padding, dilation or group count (PyTorch's: they must fit an int).
// With it every index the kernels form from them (o*stride - padding + tap*dilation, window sizes) fits
// in int64 for any array that fits in memory.
constexpr int64_t kMaxWindowArg = std::numeric_limits<int32_t>::max();

// A window argument within [minimum, kMaxWindowArg].
void require_window_arg(const char* op, const char* name, const Pair& p, int64_t minimum) {
    require_at_least(op, name, p, minimum);
    if (p[0] > kMaxWindowArg || p[1] > kMaxWindowArg)
        throw py::value_error(std::string(op) + ": " + name + " must be at most " +
                              std::to_string(kMaxWindowArg) + ", got " + pair_str(p));
}

// (N, C) of `like` followed by hw.
Shape nc_hw(const py::array& like, const Pair& hw) { return {like.shape(0), like.shape(1), hw[0], hw[1]}; }

// ---------------------------------------------------------------- convolution

tl::ConvGeometry conv_geometry(const char* op, const py::array& x, const py::array& w, const Pair& stride,
                               const Pair& padding, const Pair& dilation, int64_t groups,
                               const Pair& out_size) {
    require_4d(op, "input", x);
    require_4d(op, "weight", w);
    require_window_arg(op, "stride", stride, 1);
    require_window_arg(op, "dilation", dilation, 1);
    require_window_arg(op, "padding", padding, 0);
    require_at_least(op, "output size", out_size, 0);
    if (groups < 1 || groups > kMaxWindowArg)
        throw py::value_error(std::string(op) + ": groups must be in [1, " + std::to_string(kMaxWindowArg) +
                              "], got " + std::to_string(groups));
    if (w.shape(2) < 1 || w.shape(3) < 1)
        throw py::value_error(std::string(op) + ": weight has an empty kernel, shape " + shape_str(w));
    checked_numel(op, "output", {x.shape(0), w.shape(0), out_size[0], out_size[1]}, 8);
    if (w.shape(1) * groups != x.shape(1) || w.shape(0) % groups != 0)
        throw py::value_error(std::string(op) + ": input shape " + shape_str(x) + " and weight shape " +
                              shape_str(w) + " do not match with groups=" + std::to_string(groups));
    return {x.shape(0),  x.shape(1), x.shape(2),  x.shape(3), w.shape(0), w.shape(2),
            w.shape(3),  stride[0],  stride[1],   padding[0], padding[1], dilation[0],
            dilation[1], groups,     out_size[0], out_size[1]};
}

py::array conv2d_forward(py::array x, py::array w, std::optional<py::array> bias, Pair stride, Pair padding,
                         Pair dilation, int64_t groups, Pair out_size) {
    const char* op = "conv2d";
    const tl::ConvGeometry g = conv_geometry(op, x, w, stride, padding, dilation, groups, out_size);
    return dispatch_float(op, x, [&](auto t) -> py::array {
        using T = decltype(t);
        auto wc = checked<T>(op, "weight", w);
        auto bc = checked<T>(op, "bias", bias, {g.out_channels});
        auto xc = contiguous<T>(x);
        auto y = empty<T>(op, {g.batch, g.out_channels, g.out_h, g.out_w});
        const T *xp = xc.data(), *wp = wc.data(), *bp = data_or_null(bc);
        T* yp = y.mutable_data();
        with_gil_released([&] { tl::conv2d_forward<T>(xp, wp, bp, yp, g); });
        return y;
    });
}

py::tuple conv2d_backward(py::array x, py::array w, py::array dy, Pair stride, Pair padding, Pair dilation,
                          int64_t groups, bool need_dx, bool need_dw, bool need_db) {
    const char* op = "conv2d_backward";
    require_4d(op, "grad_output", dy);
    const tl::ConvGeometry g =
        conv_geometry(op, x, w, stride, padding, dilation, groups, {dy.shape(2), dy.shape(3)});
    if (dy.shape(0) != g.batch || dy.shape(1) != g.out_channels)
        throw py::value_error("conv2d_backward: grad_output shape " + shape_str(dy) +
                              " does not match input " + shape_str(x) + " and weight " + shape_str(w));
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        auto wc = checked<T>(op, "weight", w), dyc = checked<T>(op, "grad_output", dy);
        auto xc = contiguous<T>(x);
        T *dxp, *dwp, *dbp;
        py::object dx = optional_output<T>(op, need_dx, shape_of(x), dxp);
        py::object dw = optional_output<T>(op, need_dw, shape_of(w), dwp);
        py::object db = optional_output<T>(op, need_db, {g.out_channels}, dbp);
        const T *xp = xc.data(), *wp = wc.data(), *dyp = dyc.data();
        with_gil_released([&] { tl::conv2d_backward<T>(xp, wp, dyp, dxp, dwp, dbp, g); });
        return py::make_tuple(dx, dw, db);
    });
}

// The algorithms conv2d runs for this configuration: (forward, backward-data, backward-weight).
py::tuple conv2d_algorithm(py::array x, py::array w, Pair stride, Pair padding, Pair dilation, int64_t groups,
                           Pair out_size) {
    const char* op = "conv2d_algorithm";
    const tl::ConvGeometry g = conv_geometry(op, x, w, stride, padding, dilation, groups, out_size);
    dispatch_float(op, x, [&](auto t) { require_dtype<decltype(t)>(op, "weight", w); });
    return py::make_tuple(tl::conv_algorithm_name(tl::conv2d_algorithm(g, tl::ConvPass::forward)),
                          tl::conv_algorithm_name(tl::conv2d_algorithm(g, tl::ConvPass::backward_data)),
                          tl::conv_algorithm_name(tl::conv2d_algorithm(g, tl::ConvPass::backward_weight)));
}

void set_conv2d_algorithm(const std::string& name) {
    try {
        tl::set_conv2d_algorithm(name);
    } catch (const std::invalid_argument& e) {
        throw py::value_error(e.what());
    }
}

// ---------------------------------------------------------------- pooling

tl::PoolGeometry pool_geometry(const char* op, const py::array& x, const Pair& kernel, const Pair& stride,
                               const Pair& padding, const Pair& dilation, const Pair& out_size) {
    require_4d(op, "input", x);
    require_window_arg(op, "kernel_size", kernel, 1);
    require_window_arg(op, "stride", stride, 1);
    require_window_arg(op, "dilation", dilation, 1);
    require_window_arg(op, "padding", padding, 0);
    require_at_least(op, "output size", out_size, 0);
    checked_numel(op, "output", nc_hw(x, out_size), 8);
    return {x.shape(0) * x.shape(1), x.shape(2), x.shape(3), out_size[0], out_size[1], kernel[0], kernel[1],
            stride[0],               stride[1],  padding[0], padding[1],  dilation[0], dilation[1]};
}

py::tuple max_pool2d_forward(py::array x, Pair kernel, Pair stride, Pair padding, Pair dilation,
                             Pair out_size, bool save_indices) {
    const char* op = "max_pool2d";
    const tl::PoolGeometry g = pool_geometry(op, x, kernel, stride, padding, dilation, out_size);
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        auto xc = contiguous<T>(x);
        auto y = empty<T>(op, nc_hw(x, out_size));
        int64_t* ip;
        py::object indices = optional_output<int64_t>(op, save_indices, nc_hw(x, out_size), ip);
        const T* xp = xc.data();
        T* yp = y.mutable_data();
        with_gil_released([&] { tl::max_pool2d_forward<T>(xp, yp, ip, g); });
        return py::make_tuple(y, indices);
    });
}

py::array max_pool2d_backward(py::array dy, py::array indices, Pair input_size) {
    const char* op = "max_pool2d_backward";
    require_4d(op, "grad_output", dy);
    require_same_shape(op, dy, indices);
    require_at_least(op, "input size", input_size, 0);
    if (indices.dtype().kind() != 'i' || indices.dtype().itemsize() != 8)
        throw py::type_error("max_pool2d_backward: indices must be int64, got dtype " + dtype_str(indices));
    // Only the plane count and the plane sizes matter to the scatter; the window is irrelevant.
    const tl::PoolGeometry g{dy.shape(0) * dy.shape(1), input_size[0], input_size[1], dy.shape(2), dy.shape(3),
                             1, 1, 1, 1, 0, 0, 1, 1};
    return dispatch_float(op, dy, [&](auto t) -> py::array {
        using T = decltype(t);
        auto dyc = contiguous<T>(dy);
        auto ic = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(indices);
        auto dx = empty<T>(op, nc_hw(dy, input_size));
        const T* dyp = dyc.data();
        const int64_t* ip = ic.data();
        T* dxp = dx.mutable_data();
        const int64_t invalid = with_gil_released([&] { return tl::max_pool2d_backward<T>(dyp, ip, dxp, g); });
        if (invalid)
            throw py::value_error("max_pool2d_backward: " + std::to_string(invalid) +
                                  " indices lie outside the input planes of size " + pair_str(input_size));
        return dx;
    });
}

// divisor_override: 0 (none) or a positive int up to kMaxWindowArg.
void require_divisor(const char* op, int64_t divisor_override) {
    if (divisor_override < 0 || divisor_override > kMaxWindowArg)
        throw py::value_error(std::string(op) + ": divisor_override must be in [0, " +
                              std::to_string(kMaxWindowArg) + "], got " + std::to_string(divisor_override));
}

// A pooling pass that maps `from` (x, or dy for a backward pass; 4-D, checked by the caller) to a new
// array of spatial size to_hw: kernel(from, to, planes) with planes = N * C.
template <typename K>
py::array pool_map(const char* op, const py::array& from, const Pair& to_hw, K kernel) {
    return dispatch_float(op, from, [&](auto t) -> py::array {
        using T = decltype(t);
        auto fc = contiguous<T>(from);
        auto to = empty<T>(op, nc_hw(from, to_hw));
        const T* fp = fc.data();
        T* tp = to.mutable_data();
        const int64_t planes = from.shape(0) * from.shape(1);
        with_gil_released([&] { kernel(fp, tp, planes); });
        return to;
    });
}

py::array avg_pool2d_forward(py::array x, Pair kernel, Pair stride, Pair padding, Pair out_size,
                             bool count_include_pad, int64_t divisor_override) {
    const char* op = "avg_pool2d";
    require_divisor(op, divisor_override);
    const tl::PoolGeometry g = pool_geometry(op, x, kernel, stride, padding, {1, 1}, out_size);
    return pool_map(op, x, out_size, [&](const auto* xp, auto* yp, int64_t) {
        tl::avg_pool2d_forward(xp, yp, g, count_include_pad, divisor_override);
    });
}

py::array avg_pool2d_backward(py::array dy, Pair input_size, Pair kernel, Pair stride, Pair padding,
                              bool count_include_pad, int64_t divisor_override) {
    const char* op = "avg_pool2d_backward";
    require_divisor(op, divisor_override);
    require_4d(op, "grad_output", dy);
    require_at_least(op, "input size", input_size, 0);
    tl::PoolGeometry g = pool_geometry(op, dy, kernel, stride, padding, {1, 1}, {dy.shape(2), dy.shape(3)});
    g.in_h = input_size[0];
    g.in_w = input_size[1];
    return pool_map(op, dy, input_size, [&](const auto* dyp, auto* dxp, int64_t) {
        tl::avg_pool2d_backward(dyp, dxp, g, count_include_pad, divisor_override);
    });
}

// out_size within the window-argument range, input_size >= 0, and no output from an empty input.
void require_adaptive_sizes(const char* op, const Pair& input_size, const Pair& out_size) {
    require_window_arg(op, "output size", out_size, 0);
    require_at_least(op, "input size", input_size, 0);
    if ((out_size[0] > 0 && input_size[0] == 0) || (out_size[1] > 0 && input_size[1] == 0))
        throw py::value_error(std::string(op) + ": cannot pool an input of spatial size " +
                              pair_str(input_size) + " to " + pair_str(out_size));
}

// Adaptive average pooling of `from` (x: forward, to other_size = the output size; or dy: backward, to
// other_size = the input size).
py::array adaptive_avg_pool(bool backward, const py::array& from, const Pair& other_size) {
    const char* op = backward ? "adaptive_avg_pool2d_backward" : "adaptive_avg_pool2d";
    require_4d(op, backward ? "grad_output" : "input", from);
    const Pair from_size{from.shape(2), from.shape(3)};
    const Pair in = backward ? other_size : from_size, out = backward ? from_size : other_size;
    require_adaptive_sizes(op, in, out);
    return pool_map(op, from, other_size, [&](const auto* fp, auto* tp, int64_t planes) {
        if (backward)
            tl::adaptive_avg_pool2d_backward(fp, tp, planes, in[0], in[1], out[0], out[1]);
        else
            tl::adaptive_avg_pool2d_forward(fp, tp, planes, in[0], in[1], out[0], out[1]);
    });
}

py::array adaptive_avg_pool2d_forward(py::array x, Pair out_size) { return adaptive_avg_pool(false, x, out_size); }

py::array adaptive_avg_pool2d_backward(py::array dy, Pair input_size) {
    return adaptive_avg_pool(true, dy, input_size);
}

}  // namespace

void register_conv_pool(py::module_& m) {
    m.def("conv2d_forward", &conv2d_forward, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("out_size"),
          "NCHW conv2d (cross-correlation) by the direct loop, im2col + GEMM, batched columns or Winograd "
          "F(2x2, 3x3), chosen "
          "per configuration; padding is (top, left), out_size implies bottom/right.");
    m.def("conv2d_backward", &conv2d_backward, py::arg("x"), py::arg("weight"), py::arg("grad_output"),
          py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("need_dx"),
          py::arg("need_dw"), py::arg("need_db"), "(dx, dw, db) of conv2d, None where not needed.");
    m.def("conv2d_algorithm", &conv2d_algorithm, py::arg("x"), py::arg("weight"), py::arg("stride"),
          py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("out_size"),
          "(forward, backward-data, backward-weight) algorithm conv2d runs for these arrays and parameters: "
          "'direct', 'im2col', 'winograd' or 'batched'.");
    m.def("conv2d_algorithm_override", &tl::conv2d_algorithm_override,
          "The conv2d algorithm override: 'auto', 'direct', 'im2col', 'winograd' or 'batched'.");
    m.def("set_conv2d_algorithm", &set_conv2d_algorithm, py::arg("name"),
          "Force conv2d's algorithm, for tests and benchmarks: 'auto' (the measured choice), 'im2col' (always), "
          "'direct' (wherever it applies: horizontal stride 1, both strides 1 for dx; else im2col), "
          "'batched' (the columns of several small images in one GEMM, wherever one image's columns fit its "
          "block; else im2col) or 'winograd' (wherever it applies: 3x3, stride 1, dilation 1, groups 1, "
          "forward and dx; else the automatic choice).");
    m.def("max_pool2d_forward", &max_pool2d_forward, py::arg("x"), py::arg("kernel_size"), py::arg("stride"),
          py::arg("padding"), py::arg("dilation"), py::arg("out_size"), py::arg("save_indices"),
          "(y, argmax indices or None) of 2-D max pooling; padding is -inf, ties pick the first maximum.");
    m.def("max_pool2d_backward", &max_pool2d_backward, py::arg("grad_output"), py::arg("indices"),
          py::arg("input_size"), "dx of max pooling: grad_output scattered to the argmax indices.");
    m.def("avg_pool2d_forward", &avg_pool2d_forward, py::arg("x"), py::arg("kernel_size"), py::arg("stride"),
          py::arg("padding"), py::arg("out_size"), py::arg("count_include_pad"), py::arg("divisor_override"),
          "2-D average pooling with PyTorch's divisor rule (divisor_override 0 = none).");
    m.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("grad_output"), py::arg("input_size"),
          py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("count_include_pad"),
          py::arg("divisor_override"), "dx of average pooling: each gradient spread evenly over its window.");
    m.def("adaptive_avg_pool2d_forward", &adaptive_avg_pool2d_forward, py::arg("x"), py::arg("out_size"),
          "Adaptive 2-D average pooling to out_size (PyTorch's floor/ceil windows).");
    m.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward, py::arg("grad_output"),
          py::arg("input_size"), "dx of adaptive average pooling.");
}

}  // namespace tl::bindings
