// The one pybind11 module: tensorlite._C.
// Every function validates its arrays here (dtype, ndim, shape, contiguity), makes strided inputs
// usable (a contiguous copy when the kernel cannot take the strides), releases the GIL and calls a
// kernel from cpp/kernels/. Bad input raises TypeError/ValueError; nothing reaches a kernel unchecked.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/common.h"
#include "bindings/module.h"
#include "kernels/activation.h"
#include "kernels/batchnorm.h"
#include "kernels/conv.h"
#include "kernels/cpu_features.h"
#include "kernels/gemm.h"
#include "kernels/parametric_activation.h"
#include "kernels/pool.h"
#include "kernels/softmax.h"
#include "kernels/runtime.h"

namespace py = pybind11;

namespace {

using namespace tl::bindings;

void require_same_shape(const char* op, const py::array& a, const py::array& b) {
    bool same = a.ndim() == b.ndim();
    for (py::ssize_t i = 0; same && i < a.ndim(); ++i) same = a.shape(i) == b.shape(i);
    if (!same)
        throw py::value_error(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                              " must be equal");
}

// ---------------------------------------------------------------- GEMM

// A batch of row-major matrices as the kernel sees them: pointer, row stride, batch stride and
// whether the stored matrix is the transpose of the logical one.
template <typename T>
struct MatrixBatch {
    py::array keep_alive;
    const T* data;
    int64_t rows, cols;  // logical (before op()) shape of one matrix
    int64_t ld, batch_stride;
    bool transposed;
};

// Interprets the last two axes of `a` (ndim 2 or 3) through its strides; copies only when neither
// rows nor columns are unit-stride.
template <typename T>
MatrixBatch<T> as_matrix_batch(py::array a) {
    const py::ssize_t nd = a.ndim();
    const int64_t item = sizeof(T);
    const int64_t rows = a.shape(nd - 2), cols = a.shape(nd - 1);
    auto fits = [&](py::array& arr, bool& trans, int64_t& ld, int64_t& bs) {
        const int64_t s0 = arr.strides(nd - 2), s1 = arr.strides(nd - 1);
        const int64_t sb = nd == 3 ? arr.strides(0) : 0;
        if (s0 % item || s1 % item || sb % item || s0 < 0 || s1 < 0 || sb < 0) return false;
        if ((s1 == item || cols <= 1) && s0 >= cols * item && s0 > 0) {
            trans = false;
            ld = s0 / item;
        } else if ((s0 == item || rows <= 1) && s1 >= rows * item && s1 > 0) {
            trans = true;
            ld = s1 / item;
        } else {
            return false;
        }
        bs = sb / item;
        return true;
    };
    bool trans = false;
    int64_t ld = 0, bs = 0;
    if (!fits(a, trans, ld, bs)) {
        a = contiguous<T>(a);
        trans = false;
        ld = cols > 0 ? cols : 1;
        bs = rows * cols;
    }
    if (ld < 1) ld = 1;
    return {a, static_cast<const T*>(a.data()), rows, cols, ld, bs, trans};
}

template <typename T>
py::array gemm_impl(py::array a, py::array b, bool trans_a, bool trans_b, double alpha, double beta,
                    std::optional<py::array> out) {
    require_dtype<T>("gemm", "b", b);
    if (a.ndim() != b.ndim() || a.ndim() < 2 || a.ndim() > 3)
        throw py::value_error("gemm: operands must both be 2-D or both 3-D, got shapes " + shape_str(a) +
                              " and " + shape_str(b));
    MatrixBatch<T> ma = as_matrix_batch<T>(a), mb = as_matrix_batch<T>(b);
    const bool batched = a.ndim() == 3;
    const int64_t batch = batched ? a.shape(0) : 1;
    if (batched && b.shape(0) != batch)
        throw py::value_error("gemm: batch sizes differ: " + shape_str(a) + " and " + shape_str(b));
    const int64_t m = trans_a ? ma.cols : ma.rows, k = trans_a ? ma.rows : ma.cols;
    const int64_t kb = trans_b ? mb.cols : mb.rows, n = trans_b ? mb.rows : mb.cols;
    if (k != kb)
        throw py::value_error("gemm: inner dimensions differ: op(a) is " + std::to_string(m) + "x" +
                              std::to_string(k) + " (a shape " + shape_str(a) + ") but op(b) is " +
                              std::to_string(kb) + "x" + std::to_string(n) + " (b shape " + shape_str(b) +
                              ")");
    std::vector<py::ssize_t> out_shape;
    if (batched) out_shape.push_back(batch);
    out_shape.push_back(m);
    out_shape.push_back(n);
    py::array_t<T> c;
    if (out) {
        py::array o = *out;
        require_dtype<T>("gemm", "out", o);
        bool ok = o.ndim() == static_cast<py::ssize_t>(out_shape.size()) &&
                  (o.flags() & py::array::c_style) && o.writeable();
        for (size_t i = 0; ok && i < out_shape.size(); ++i) ok = o.shape(i) == out_shape[i];
        if (!ok)
            throw py::value_error("gemm: out must be a writeable C-contiguous array of shape (" +
                                  std::to_string(m) + ", " + std::to_string(n) + "), got " + shape_str(o));
        c = py::reinterpret_borrow<py::array_t<T>>(o);
    } else {
        c = py::array_t<T>(out_shape);
        beta = 0.0;
    }
    T* cp = c.mutable_data();
    const bool ta = trans_a != ma.transposed, tb = trans_b != mb.transposed;
    {
        py::gil_scoped_release release;
        tl::gemm_batched<T>(batch, ta, tb, m, n, k, static_cast<T>(alpha), ma.data, ma.ld, ma.batch_stride, mb.data,
                            mb.ld, mb.batch_stride, static_cast<T>(beta), cp, n, m * n);
    }
    return c;
}

py::array gemm(py::array a, py::array b, bool trans_a, bool trans_b, double alpha, double beta,
               std::optional<py::array> out) {
    return dispatch_float("gemm", a, [&](auto t) {
        return gemm_impl<decltype(t)>(a, b, trans_a, trans_b, alpha, beta, out);
    });
}

// The active GEMM kernels and their blocking: {"isa", "available", "float32": {...}, "float64": {...}}.
py::dict gemm_config() {
    py::dict cfg;
    cfg["isa"] = tl::gemm_isa();
    cfg["available"] = tl::gemm_available_isas();
    for (const bool f64 : {false, true}) {
        const tl::GemmBlocking blk = tl::gemm_blocking(f64);
        py::dict d;
        d["mr"] = blk.mr;
        d["nr"] = blk.nr;
        d["mc"] = blk.mc;
        d["kc"] = blk.kc;
        d["nc"] = blk.nc;
        d["in_place_a_max_depth"] = blk.in_place_a_max_depth;
        cfg[f64 ? "float64" : "float32"] = d;
    }
    return cfg;
}

// ---------------------------------------------------------------- softmax

void require_2d(const char* op, const py::array& a) {
    if (a.ndim() != 2) throw py::value_error(std::string(op) + ": expected a 2-D array, got shape " + shape_str(a));
}

py::array softmax_forward(py::array x, bool log) {
    require_2d("softmax", x);
    return dispatch_float("softmax", x, [&](auto t) -> py::array {
        using T = decltype(t);
        auto xc = contiguous<T>(x);
        py::array_t<T> y({x.shape(0), x.shape(1)});
        const T* xp = xc.data();
        T* yp = y.mutable_data();
        py::gil_scoped_release release;
        tl::softmax_forward<T>(xp, yp, x.shape(0), x.shape(1), log);
        return y;
    });
}

py::array softmax_backward(py::array y, py::array dy, bool log) {
    require_2d("softmax_backward", y);
    require_same_shape("softmax_backward", y, dy);
    return dispatch_float("softmax_backward", y, [&](auto t) -> py::array {
        using T = decltype(t);
        require_dtype<T>("softmax_backward", "dy", dy);
        auto yc = contiguous<T>(y);
        auto dyc = contiguous<T>(dy);
        py::array_t<T> dx({y.shape(0), y.shape(1)});
        const T *yp = yc.data(), *dyp = dyc.data();
        T* dxp = dx.mutable_data();
        py::gil_scoped_release release;
        tl::softmax_backward<T>(yp, dyp, dxp, y.shape(0), y.shape(1), log);
        return dx;
    });
}

// ---------------------------------------------------------------- activations

tl::Activation parse_activation(const std::string& name) {
    if (name == "relu") return tl::Activation::relu;
    if (name == "sigmoid") return tl::Activation::sigmoid;
    if (name == "tanh") return tl::Activation::tanh;
    throw py::value_error("unknown activation '" + name + "' (expected relu, sigmoid or tanh)");
}

template <typename T>
py::array_t<T> empty_like(const py::array& a) {
    std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim());
    return py::array_t<T>(shape);
}

py::array activation_forward(py::array x, const std::string& name) {
    const tl::Activation kind = parse_activation(name);
    return dispatch_float(name.c_str(), x, [&](auto t) -> py::array {
        using T = decltype(t);
        auto xc = contiguous<T>(x);
        auto y = empty_like<T>(x);
        const T* xp = xc.data();
        T* yp = y.mutable_data();
        const int64_t n = x.size();
        py::gil_scoped_release release;
        tl::activation_forward<T>(kind, xp, yp, n);
        return y;
    });
}

py::array activation_backward(py::array saved, py::array dy, const std::string& name) {
    const tl::Activation kind = parse_activation(name);
    require_same_shape((name + "_backward").c_str(), saved, dy);
    return dispatch_float(name.c_str(), saved, [&](auto t) -> py::array {
        using T = decltype(t);
        require_dtype<T>((name + "_backward").c_str(), "dy", dy);
        auto sc = contiguous<T>(saved);
        auto dyc = contiguous<T>(dy);
        auto dx = empty_like<T>(saved);
        const T *sp = sc.data(), *dyp = dyc.data();
        T* dxp = dx.mutable_data();
        const int64_t n = saved.size();
        py::gil_scoped_release release;
        tl::activation_backward<T>(kind, sp, dyp, dxp, n);
        return dx;
    });
}

// ---------------------------------------------------------------- batch norm and parametric activations (issue 5)

// A per-channel vector argument: None, or a 1-D array of length c with dtype T (made contiguous).
template <typename T>
std::optional<py::array_t<T>> channel_vector(const char* op, const char* name, const std::optional<py::array>& a,
                                             py::ssize_t c) {
    if (!a) return std::nullopt;
    require_dtype<T>(op, name, *a);
    if (a->ndim() != 1 || a->shape(0) != c)
        throw py::value_error(std::string(op) + ": " + name + " must have shape (" + std::to_string(c) +
                              ",) for " + std::to_string(c) + " channels, got " + shape_str(*a));
    return contiguous<T>(*a);
}

template <typename T>
const T* data_or_null(const std::optional<py::array_t<T>>& a) {
    return a ? a->data() : nullptr;
}

void require_3d(const char* op, const py::array& x) {
    if (x.ndim() != 3)
        throw py::value_error(std::string(op) + ": expected x of shape (N, C, S), got " + shape_str(x));
}

void require_eps(const char* op, double eps) {
    if (!(eps >= 0.0)) throw py::value_error(std::string(op) + ": eps must be >= 0, got " + std::to_string(eps));
}

py::tuple batchnorm_forward_train(py::array x, std::optional<py::array> gamma, std::optional<py::array> beta,
                                  double eps) {
    const char* op = "batchnorm_forward_train";
    require_3d(op, x);
    require_eps(op, eps);
    if (x.shape(0) * x.shape(2) < 1)
        throw py::value_error(std::string(op) + ": no values per channel in x of shape " + shape_str(x));
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const py::ssize_t n = x.shape(0), c = x.shape(1), s = x.shape(2);
        auto g = channel_vector<T>(op, "weight", gamma, c);
        auto b = channel_vector<T>(op, "bias", beta, c);
        auto xc = contiguous<T>(x);
        py::array_t<T> y({n, c, s}), mean(c), var(c);
        const T *xp = xc.data(), *gp = data_or_null(g), *bp = data_or_null(b);
        T *yp = y.mutable_data(), *mp = mean.mutable_data(), *vp = var.mutable_data();
        {
            py::gil_scoped_release release;
            tl::batchnorm_forward_train<T>(xp, gp, bp, yp, mp, vp, n, c, s, eps);
        }
        return py::make_tuple(y, mean, var);
    });
}

py::array batchnorm_forward_eval(py::array x, std::optional<py::array> gamma, std::optional<py::array> beta,
                                 py::array mean, py::array var, double eps) {
    const char* op = "batchnorm_forward_eval";
    require_3d(op, x);
    require_eps(op, eps);
    return dispatch_float(op, x, [&](auto t) -> py::array {
        using T = decltype(t);
        const py::ssize_t n = x.shape(0), c = x.shape(1), s = x.shape(2);
        auto g = channel_vector<T>(op, "weight", gamma, c);
        auto b = channel_vector<T>(op, "bias", beta, c);
        auto m = channel_vector<T>(op, "mean", mean, c);
        auto v = channel_vector<T>(op, "var", var, c);
        auto xc = contiguous<T>(x);
        py::array_t<T> y({n, c, s});
        const T *xp = xc.data(), *gp = data_or_null(g), *bp = data_or_null(b), *mp = m->data(), *vp = v->data();
        T* yp = y.mutable_data();
        {
            py::gil_scoped_release release;
            tl::batchnorm_forward_eval<T>(xp, gp, bp, mp, vp, yp, n, c, s, eps);
        }
        return y;
    });
}

py::tuple batchnorm_backward(py::array x, py::array dy, py::array mean, py::array var,
                             std::optional<py::array> gamma, double eps, bool batch_stats) {
    const char* op = "batchnorm_backward";
    require_3d(op, x);
    require_same_shape(op, x, dy);
    require_eps(op, eps);
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        require_dtype<T>(op, "dy", dy);
        const py::ssize_t n = x.shape(0), c = x.shape(1), s = x.shape(2);
        auto g = channel_vector<T>(op, "weight", gamma, c);
        auto m = channel_vector<T>(op, "mean", mean, c);
        auto v = channel_vector<T>(op, "var", var, c);
        auto xc = contiguous<T>(x);
        auto dyc = contiguous<T>(dy);
        py::array_t<T> dx({n, c, s}), dgamma(c), dbeta(c);
        const T *xp = xc.data(), *dyp = dyc.data(), *mp = m->data(), *vp = v->data(), *gp = data_or_null(g);
        T *dxp = dx.mutable_data(), *dgp = dgamma.mutable_data(), *dbp = dbeta.mutable_data();
        {
            py::gil_scoped_release release;
            tl::batchnorm_backward<T>(xp, dyp, mp, vp, gp, dxp, dgp, dbp, n, c, s, eps, batch_stats);
        }
        return py::make_tuple(dx, dgamma, dbeta);
    });
}

tl::ParametricActivation parse_parametric_activation(const std::string& name) {
    if (name == "leaky_relu") return tl::ParametricActivation::leaky_relu;
    if (name == "elu") return tl::ParametricActivation::elu;
    if (name == "selu") return tl::ParametricActivation::selu;
    if (name == "gelu") return tl::ParametricActivation::gelu;
    if (name == "gelu_tanh") return tl::ParametricActivation::gelu_tanh;
    if (name == "softplus") return tl::ParametricActivation::softplus;
    throw py::value_error("unknown parametric activation '" + name +
                          "' (expected leaky_relu, elu, selu, gelu, gelu_tanh or softplus)");
}

py::array parametric_activation_forward(py::array x, const std::string& name, double a, double b) {
    const tl::ParametricActivation kind = parse_parametric_activation(name);
    return dispatch_float(name.c_str(), x, [&](auto t) -> py::array {
        using T = decltype(t);
        auto xc = contiguous<T>(x);
        auto y = empty_like<T>(x);
        const T* xp = xc.data();
        T* yp = y.mutable_data();
        const int64_t n = x.size();
        py::gil_scoped_release release;
        tl::parametric_activation_forward<T>(kind, xp, yp, n, a, b);
        return y;
    });
}

py::array parametric_activation_backward(py::array x, py::array dy, const std::string& name, double a, double b) {
    const tl::ParametricActivation kind = parse_parametric_activation(name);
    const std::string op = name + "_backward";
    require_same_shape(op.c_str(), x, dy);
    return dispatch_float(op.c_str(), x, [&](auto t) -> py::array {
        using T = decltype(t);
        require_dtype<T>(op.c_str(), "dy", dy);
        auto xc = contiguous<T>(x);
        auto dyc = contiguous<T>(dy);
        auto dx = empty_like<T>(x);
        const T *xp = xc.data(), *dyp = dyc.data();
        T* dxp = dx.mutable_data();
        const int64_t n = x.size();
        py::gil_scoped_release release;
        tl::parametric_activation_backward<T>(kind, xp, dyp, dxp, n, a, b);
        return dx;
    });
}

// ---------------------------------------------------------------- convolution and pooling

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

// ValueError unless an array of this shape and item size has a byte count that fits in int64 (numpy's
// own stride arithmetic would overflow), so that a size that large never reaches numpy or a kernel.
void require_array_size(const char* op, const char* what, std::initializer_list<int64_t> shape, int64_t itemsize) {
    int64_t bytes = itemsize;
    std::string dims;
    bool fits = true;
    for (const int64_t d : shape) {
        dims += (dims.empty() ? "" : ", ") + std::to_string(d);
        if (d < 0 || (d > 0 && bytes > std::numeric_limits<int64_t>::max() / d)) fits = false;
        bytes = fits ? bytes * d : bytes;
    }
    if (!fits)
        throw py::value_error(std::string(op) + ": the " + what + " of shape (" + dims +
                              ") has more bytes than fit in int64");
}

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
    require_array_size(op, "output", {x.shape(0), w.shape(0), out_size[0], out_size[1]}, 8);
    if (w.shape(1) * groups != x.shape(1) || w.shape(0) % groups != 0)
        throw py::value_error(std::string(op) + ": input shape " + shape_str(x) + " and weight shape " +
                              shape_str(w) + " do not match with groups=" + std::to_string(groups));
    return {x.shape(0),  x.shape(1), x.shape(2),  x.shape(3), w.shape(0), w.shape(2),
            w.shape(3),  stride[0],  stride[1],   padding[0], padding[1], dilation[0],
            dilation[1], groups,     out_size[0], out_size[1]};
}

py::array conv2d_forward(py::array x, py::array w, std::optional<py::array> bias, Pair stride, Pair padding,
                         Pair dilation, int64_t groups, Pair out_size) {
    const tl::ConvGeometry g = conv_geometry("conv2d", x, w, stride, padding, dilation, groups, out_size);
    return dispatch_float("conv2d", x, [&](auto t) -> py::array {
        using T = decltype(t);
        require_dtype<T>("conv2d", "weight", w);
        auto xc = contiguous<T>(x);
        auto wc = contiguous<T>(w);
        py::array_t<T> bc;
        if (bias) {
            require_dtype<T>("conv2d", "bias", *bias);
            if (bias->ndim() != 1 || bias->shape(0) != g.out_channels)
                throw py::value_error("conv2d: bias must have shape (" + std::to_string(g.out_channels) +
                                      ",), got " + shape_str(*bias));
            bc = contiguous<T>(*bias);
        }
        py::array_t<T> y({g.batch, g.out_channels, g.out_h, g.out_w});
        const T *xp = xc.data(), *wp = wc.data(), *bp = bias ? bc.data() : nullptr;
        T* yp = y.mutable_data();
        py::gil_scoped_release release;
        tl::conv2d_forward<T>(xp, wp, bp, yp, g);
        return y;
    });
}

py::tuple conv2d_backward(py::array x, py::array w, py::array dy, Pair stride, Pair padding, Pair dilation,
                          int64_t groups, bool need_dx, bool need_dw, bool need_db) {
    require_4d("conv2d_backward", "grad_output", dy);
    const tl::ConvGeometry g =
        conv_geometry("conv2d_backward", x, w, stride, padding, dilation, groups, {dy.shape(2), dy.shape(3)});
    if (dy.shape(0) != g.batch || dy.shape(1) != g.out_channels)
        throw py::value_error("conv2d_backward: grad_output shape " + shape_str(dy) +
                              " does not match input " + shape_str(x) + " and weight " + shape_str(w));
    return dispatch_float("conv2d_backward", x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        require_dtype<T>("conv2d_backward", "weight", w);
        require_dtype<T>("conv2d_backward", "grad_output", dy);
        auto xc = contiguous<T>(x);
        auto wc = contiguous<T>(w);
        auto dyc = contiguous<T>(dy);
        py::object dx = py::none(), dw = py::none(), db = py::none();
        T *dxp = nullptr, *dwp = nullptr, *dbp = nullptr;
        if (need_dx) {
            auto a = empty_like<T>(x);
            dxp = a.mutable_data();
            dx = a;
        }
        if (need_dw) {
            auto a = empty_like<T>(w);
            dwp = a.mutable_data();
            dw = a;
        }
        if (need_db) {
            py::array_t<T> a({g.out_channels});
            dbp = a.mutable_data();
            db = a;
        }
        const T *xp = xc.data(), *wp = wc.data(), *dyp = dyc.data();
        {
            py::gil_scoped_release release;
            tl::conv2d_backward<T>(xp, wp, dyp, dxp, dwp, dbp, g);
        }
        return py::make_tuple(dx, dw, db);
    });
}

// The algorithms conv2d runs for this configuration: (forward, backward-data), each "im2col" or "winograd".
py::tuple conv2d_algorithm(py::array x, py::array w, Pair stride, Pair padding, Pair dilation, int64_t groups,
                           Pair out_size) {
    const tl::ConvGeometry g = conv_geometry("conv2d_algorithm", x, w, stride, padding, dilation, groups, out_size);
    dispatch_float("conv2d_algorithm", x, [&](auto t) {
        using T = decltype(t);
        require_dtype<T>("conv2d_algorithm", "weight", w);
    });
    return py::make_tuple(tl::conv_algorithm_name(tl::conv2d_algorithm(g, tl::ConvPass::forward)),
                          tl::conv_algorithm_name(tl::conv2d_algorithm(g, tl::ConvPass::backward_data)));
}

tl::PoolGeometry pool_geometry(const char* op, const py::array& x, const Pair& kernel, const Pair& stride,
                               const Pair& padding, const Pair& dilation, const Pair& out_size) {
    require_4d(op, "input", x);
    require_window_arg(op, "kernel_size", kernel, 1);
    require_window_arg(op, "stride", stride, 1);
    require_window_arg(op, "dilation", dilation, 1);
    require_window_arg(op, "padding", padding, 0);
    require_at_least(op, "output size", out_size, 0);
    require_array_size(op, "output", {x.shape(0), x.shape(1), out_size[0], out_size[1]}, 8);
    return {x.shape(0) * x.shape(1),
            x.shape(2),
            x.shape(3),
            out_size[0],
            out_size[1],
            kernel[0],
            kernel[1],
            stride[0],
            stride[1],
            padding[0],
            padding[1],
            dilation[0],
            dilation[1]};
}

// An uninitialized (N, C) + hw array, N and C from `like`; ValueError when its size does not fit.
template <typename T>
py::array_t<T> empty_nchw(const py::array& like, const Pair& hw) {
    require_array_size("pooling", "result", {like.shape(0), like.shape(1), hw[0], hw[1]}, sizeof(T));
    return py::array_t<T>(
        {static_cast<int64_t>(like.shape(0)), static_cast<int64_t>(like.shape(1)), hw[0], hw[1]});
}

py::tuple max_pool2d_forward(py::array x, Pair kernel, Pair stride, Pair padding, Pair dilation,
                             Pair out_size, bool save_indices) {
    const tl::PoolGeometry g = pool_geometry("max_pool2d", x, kernel, stride, padding, dilation, out_size);
    return dispatch_float("max_pool2d", x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        auto xc = contiguous<T>(x);
        auto y = empty_nchw<T>(x, out_size);
        py::object indices = py::none();
        int64_t* ip = nullptr;
        if (save_indices) {
            py::array_t<int64_t> a(
                {static_cast<int64_t>(x.shape(0)), static_cast<int64_t>(x.shape(1)), g.out_h, g.out_w});
            ip = a.mutable_data();
            indices = a;
        }
        const T* xp = xc.data();
        T* yp = y.mutable_data();
        {
            py::gil_scoped_release release;
            tl::max_pool2d_forward<T>(xp, yp, ip, g);
        }
        return py::make_tuple(y, indices);
    });
}

py::array max_pool2d_backward(py::array dy, py::array indices, Pair input_size) {
    require_4d("max_pool2d_backward", "grad_output", dy);
    require_same_shape("max_pool2d_backward", dy, indices);
    require_at_least("max_pool2d_backward", "input size", input_size, 0);
    if (indices.dtype().kind() != 'i' || indices.dtype().itemsize() != 8)
        throw py::type_error("max_pool2d_backward: indices must be int64, got dtype " + dtype_str(indices));
    tl::PoolGeometry g{dy.shape(0) * dy.shape(1),
                       input_size[0],
                       input_size[1],
                       dy.shape(2),
                       dy.shape(3),
                       1,
                       1,
                       1,
                       1,
                       0,
                       0,
                       1,
                       1};
    return dispatch_float("max_pool2d_backward", dy, [&](auto t) -> py::array {
        using T = decltype(t);
        auto dyc = contiguous<T>(dy);
        auto ic = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(indices);
        auto dx = empty_nchw<T>(dy, input_size);
        const T* dyp = dyc.data();
        const int64_t* ip = ic.data();
        T* dxp = dx.mutable_data();
        int64_t invalid = 0;
        {
            py::gil_scoped_release release;
            invalid = tl::max_pool2d_backward<T>(dyp, ip, dxp, g);
        }
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

py::array avg_pool2d_forward(py::array x, Pair kernel, Pair stride, Pair padding, Pair out_size,
                             bool count_include_pad, int64_t divisor_override) {
    require_divisor("avg_pool2d", divisor_override);
    const tl::PoolGeometry g = pool_geometry("avg_pool2d", x, kernel, stride, padding, {1, 1}, out_size);
    return dispatch_float("avg_pool2d", x, [&](auto t) -> py::array {
        using T = decltype(t);
        auto xc = contiguous<T>(x);
        auto y = empty_nchw<T>(x, out_size);
        const T* xp = xc.data();
        T* yp = y.mutable_data();
        py::gil_scoped_release release;
        tl::avg_pool2d_forward<T>(xp, yp, g, count_include_pad, divisor_override);
        return y;
    });
}

py::array avg_pool2d_backward(py::array dy, Pair input_size, Pair kernel, Pair stride, Pair padding,
                              bool count_include_pad, int64_t divisor_override) {
    require_divisor("avg_pool2d_backward", divisor_override);
    require_4d("avg_pool2d_backward", "grad_output", dy);
    require_at_least("avg_pool2d_backward", "input size", input_size, 0);
    tl::PoolGeometry g =
        pool_geometry("avg_pool2d_backward", dy, kernel, stride, padding, {1, 1}, {dy.shape(2), dy.shape(3)});
    g.in_h = input_size[0];
    g.in_w = input_size[1];
    return dispatch_float("avg_pool2d_backward", dy, [&](auto t) -> py::array {
        using T = decltype(t);
        auto dyc = contiguous<T>(dy);
        auto dx = empty_nchw<T>(dy, input_size);
        const T* dyp = dyc.data();
        T* dxp = dx.mutable_data();
        py::gil_scoped_release release;
        tl::avg_pool2d_backward<T>(dyp, dxp, g, count_include_pad, divisor_override);
        return dx;
    });
}

void require_adaptive_sizes(const char* op, const Pair& input_size, const Pair& out_size) {
    require_window_arg(op, "output size", out_size, 0);
    require_at_least(op, "input size", input_size, 0);
    if ((out_size[0] > 0 && input_size[0] == 0) || (out_size[1] > 0 && input_size[1] == 0))
        throw py::value_error(std::string(op) + ": cannot pool an input of spatial size " +
                              pair_str(input_size) + " to " + pair_str(out_size));
}

py::array adaptive_avg_pool2d_forward(py::array x, Pair out_size) {
    require_4d("adaptive_avg_pool2d", "input", x);
    const Pair in_size{x.shape(2), x.shape(3)};
    require_adaptive_sizes("adaptive_avg_pool2d", in_size, out_size);
    return dispatch_float("adaptive_avg_pool2d", x, [&](auto t) -> py::array {
        using T = decltype(t);
        auto xc = contiguous<T>(x);
        auto y = empty_nchw<T>(x, out_size);
        const T* xp = xc.data();
        T* yp = y.mutable_data();
        const int64_t planes = x.shape(0) * x.shape(1);
        py::gil_scoped_release release;
        tl::adaptive_avg_pool2d_forward<T>(xp, yp, planes, in_size[0], in_size[1], out_size[0], out_size[1]);
        return y;
    });
}

py::array adaptive_avg_pool2d_backward(py::array dy, Pair input_size) {
    require_4d("adaptive_avg_pool2d_backward", "grad_output", dy);
    const Pair out_size{dy.shape(2), dy.shape(3)};
    require_adaptive_sizes("adaptive_avg_pool2d_backward", input_size, out_size);
    return dispatch_float("adaptive_avg_pool2d_backward", dy, [&](auto t) -> py::array {
        using T = decltype(t);
        auto dyc = contiguous<T>(dy);
        auto dx = empty_nchw<T>(dy, input_size);
        const T* dyp = dyc.data();
        T* dxp = dx.mutable_data();
        const int64_t planes = dy.shape(0) * dy.shape(1);
        py::gil_scoped_release release;
        tl::adaptive_avg_pool2d_backward<T>(dyp, dxp, planes, input_size[0], input_size[1], out_size[0],
                                            out_size[1]);
        return dx;
    });
}

}  // namespace

PYBIND11_MODULE(_C, m) {
    m.doc() = "tensorlite C++ kernels (GEMM, softmax, activations, ...)";
    register_rnn(m);

    m.def("gemm", &gemm, py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false,
          py::arg("alpha") = 1.0, py::arg("beta") = 0.0, py::arg("out") = py::none(),
          "C := alpha * op(a) @ op(b) + beta * out for 2-D or batched 3-D float arrays; returns C.");
    m.def("gemm_isa", &tl::gemm_isa, "The instruction set of the active GEMM kernels (avx512, avx2 or generic).");
    m.def("set_gemm_isa", &tl::set_gemm_isa, py::arg("name"),
          "Switch the GEMM kernels to `name`; ValueError when this CPU/build cannot run it.");
    m.def("gemm_config", &gemm_config, "Active GEMM ISA, the ISAs available here, and per-dtype block sizes.");
    m.def("softmax_forward", &softmax_forward, py::arg("x"), py::arg("log") = false,
          "Row-wise (log-)softmax of a 2-D array.");
    m.def("softmax_backward", &softmax_backward, py::arg("y"), py::arg("dy"), py::arg("log") = false,
          "Gradient of row-wise (log-)softmax given its output y and upstream gradient dy.");
    m.def("activation_forward", &activation_forward, py::arg("x"), py::arg("kind"),
          "relu / sigmoid / tanh of an array.");
    m.def("activation_backward", &activation_backward, py::arg("saved"), py::arg("dy"), py::arg("kind"),
          "Fused activation backward; saved is x for relu and y for sigmoid/tanh.");

    register_optim(m);

    // batch norm and parametric activations (issue 5)
    m.def("batchnorm_forward_train", &batchnorm_forward_train, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("eps"), "Batch norm of (N, C, S) x with batch statistics; returns (y, mean, biased var).");
    m.def("batchnorm_forward_eval", &batchnorm_forward_eval, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("mean"), py::arg("var"), py::arg("eps"), "Batch norm of (N, C, S) x with given statistics.");
    m.def("batchnorm_backward", &batchnorm_backward, py::arg("x"), py::arg("dy"), py::arg("mean"), py::arg("var"),
          py::arg("weight"), py::arg("eps"), py::arg("batch_stats"),
          "Fused batch-norm backward; returns (dx, dweight, dbias).");
    m.def("parametric_activation_forward", &parametric_activation_forward, py::arg("x"), py::arg("kind"),
          py::arg("a") = 0.0, py::arg("b") = 0.0, "leaky_relu / elu / selu / gelu / gelu_tanh / softplus of x.");
    m.def("parametric_activation_backward", &parametric_activation_backward, py::arg("x"), py::arg("dy"),
          py::arg("kind"), py::arg("a") = 0.0, py::arg("b") = 0.0, "dy * f'(x) for a parametric activation.");

    // convolution and pooling
    m.def("conv2d_forward", &conv2d_forward, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("out_size"),
          "NCHW conv2d (cross-correlation) by im2col + GEMM or Winograd F(2x2, 3x3); padding is (top, left), "
          "out_size implies bottom/right.");
    m.def("conv2d_backward", &conv2d_backward, py::arg("x"), py::arg("weight"), py::arg("grad_output"),
          py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("need_dx"),
          py::arg("need_dw"), py::arg("need_db"), "(dx, dw, db) of conv2d, None where not needed.");
    m.def("conv2d_algorithm", &conv2d_algorithm, py::arg("x"), py::arg("weight"), py::arg("stride"),
          py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("out_size"),
          "(forward, backward-data) algorithm conv2d runs for these arrays and parameters: 'im2col' or 'winograd'.");
    m.def("conv2d_algorithm_override", &tl::conv2d_algorithm_override,
          "The conv2d algorithm override: 'auto', 'im2col' or 'winograd'.");
    m.def("set_conv2d_algorithm", [](const std::string& name) {
        try {
            tl::set_conv2d_algorithm(name);
        } catch (const std::invalid_argument& e) {
            throw py::value_error(e.what());
        }
    }, py::arg("name"), "'auto' (measured choice), 'im2col' or 'winograd' (wherever it applies: 3x3, stride 1, "
       "dilation 1, groups 1), for tests and benchmarks.");
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

    register_norm(m);
    register_sample(m);

    m.def("get_num_threads", &tl::get_num_threads);
    m.def("set_num_threads", [](int64_t n) {
        if (n < 1) throw py::value_error("set_num_threads: n must be >= 1, got " + std::to_string(n));
        if (n > std::numeric_limits<int>::max())  // OpenMP takes a C int
            throw py::value_error("set_num_threads: n must be at most " +
                                  std::to_string(std::numeric_limits<int>::max()) + ", got " + std::to_string(n));
        tl::set_num_threads(static_cast<int>(n));
    }, py::arg("n"));
    m.def("openmp_enabled", &tl::openmp_enabled);
    m.def("cpu_isa", [] { return std::string(tl::isa_name(tl::cpu_isa())); },
          "The best instruction set this CPU has: avx512, avx2 or generic.");
    m.def("measure_clock_ghz", &tl::measure_clock_ghz, "Core clock in GHz from a dependent-add chain (0 if unknown).");
    m.attr("compiler") = TENSORLITE_COMPILER;
#ifdef TENSORLITE_CUDA
    m.attr("cuda_enabled") = true;
#else
    m.attr("cuda_enabled") = false;
#endif
}
