// Bindings of the normalization and activation kernels: softmax (cpp/kernels/softmax.h), relu / sigmoid /
// tanh (activation.h), the parametric activations (parametric_activation.h), batch norm (batchnorm.h) and
// layer / group norm (layernorm.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "bindings/common.h"
#include "bindings/module.h"
#include "kernels/activation.h"
#include "kernels/batchnorm.h"
#include "kernels/layernorm.h"
#include "kernels/parametric_activation.h"
#include "kernels/softmax.h"

namespace tl::bindings {
namespace {

using OptionalArray = std::optional<py::array>;

// y = kernel(x) elementwise on an array of any shape: kernel(x, y, n).
template <typename K>
py::array map_elementwise(const char* op, const py::array& x, K kernel) {
    return dispatch_float(op, x, [&](auto t) -> py::array {
        using T = decltype(t);
        auto xc = contiguous<T>(x);
        auto y = empty_like<T>(x);
        const T* xp = xc.data();
        T* yp = y.mutable_data();
        with_gil_released([&] { kernel(xp, yp, static_cast<int64_t>(x.size())); });
        return y;
    });
}

// dx = kernel(saved, dy) elementwise, saved and dy of one shape and dtype: kernel(saved, dy, dx, n).
template <typename K>
py::array map_elementwise_backward(const char* op, const py::array& saved, const py::array& dy, K kernel) {
    require_same_shape(op, saved, dy);
    return dispatch_float(op, saved, [&](auto t) -> py::array {
        using T = decltype(t);
        require_dtype<T>(op, "dy", dy);
        auto sc = contiguous<T>(saved);
        auto dyc = contiguous<T>(dy);
        auto dx = empty_like<T>(saved);
        const T *sp = sc.data(), *dyp = dyc.data();
        T* dxp = dx.mutable_data();
        with_gil_released([&] { kernel(sp, dyp, dxp, static_cast<int64_t>(saved.size())); });
        return dx;
    });
}

// ---------------------------------------------------------------- softmax

void require_2d(const char* op, const py::array& a) {
    if (a.ndim() != 2) throw py::value_error(std::string(op) + ": expected a 2-D array, got shape " + shape_str(a));
}

py::array softmax_forward(py::array x, bool log) {
    require_2d("softmax", x);
    const int64_t rows = x.shape(0), cols = x.shape(1);
    return map_elementwise("softmax", x, [&](const auto* xp, auto* yp, int64_t) {
        tl::softmax_forward(xp, yp, rows, cols, log);
    });
}

py::array softmax_backward(py::array y, py::array dy, bool log) {
    require_2d("softmax_backward", y);
    const int64_t rows = y.shape(0), cols = y.shape(1);
    return map_elementwise_backward("softmax_backward", y, dy, [&](const auto* yp, const auto* dyp, auto* dxp,
                                                                   int64_t) {
        tl::softmax_backward(yp, dyp, dxp, rows, cols, log);
    });
}

// ---------------------------------------------------------------- activations

tl::Activation parse_activation(const std::string& name) {
    if (name == "relu") return tl::Activation::relu;
    if (name == "sigmoid") return tl::Activation::sigmoid;
    if (name == "tanh") return tl::Activation::tanh;
    throw py::value_error("unknown activation '" + name + "' (expected relu, sigmoid or tanh)");
}

py::array activation_forward(py::array x, const std::string& name) {
    const tl::Activation kind = parse_activation(name);
    return map_elementwise(name.c_str(), x, [&](const auto* xp, auto* yp, int64_t n) {
        tl::activation_forward(kind, xp, yp, n);
    });
}

py::array activation_backward(py::array saved, py::array dy, const std::string& name) {
    const tl::Activation kind = parse_activation(name);
    const std::string op = name + "_backward";
    return map_elementwise_backward(op.c_str(), saved, dy, [&](const auto* sp, const auto* dyp, auto* dxp,
                                                               int64_t n) {
        tl::activation_backward(kind, sp, dyp, dxp, n);
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
    return map_elementwise(name.c_str(), x, [&](const auto* xp, auto* yp, int64_t n) {
        tl::parametric_activation_forward(kind, xp, yp, n, a, b);
    });
}

py::array parametric_activation_backward(py::array x, py::array dy, const std::string& name, double a, double b) {
    const tl::ParametricActivation kind = parse_parametric_activation(name);
    const std::string op = name + "_backward";
    return map_elementwise_backward(op.c_str(), x, dy, [&](const auto* xp, const auto* dyp, auto* dxp,
                                                           int64_t n) {
        tl::parametric_activation_backward(kind, xp, dyp, dxp, n, a, b);
    });
}

// ---------------------------------------------------------------- batch norm

// What every normalization reads: x of shape (N, C, S), made contiguous, and its optional per-channel
// weight and bias of shape (C,), checked.
template <typename T>
struct NormInput {
    int64_t n, c, s;
    py::array_t<T> x;
    std::optional<py::array_t<T>> weight, bias;
    const T* w() const { return data_or_null(weight); }
    const T* b() const { return data_or_null(bias); }
};

template <typename T>
NormInput<T> norm_input(const char* op, const py::array& x, const OptionalArray& weight,
                        const OptionalArray& bias) {
    const int64_t c = x.shape(1);
    return {x.shape(0), c, x.shape(2), contiguous<T>(x), checked<T>(op, "weight", weight, {c}),
            checked<T>(op, "bias", bias, {c})};
}

// x of shape (N, C, S) and eps >= 0.
void require_ncs(const char* op, const py::array& x, double eps) {
    if (x.ndim() != 3)
        throw py::value_error(std::string(op) + ": expected x of shape (N, C, S), got " + shape_str(x));
    if (!(eps >= 0.0)) throw py::value_error(std::string(op) + ": eps must be >= 0, got " + std::to_string(eps));
}

py::tuple batchnorm_forward_train(py::array x, OptionalArray gamma, OptionalArray beta, double eps) {
    const char* op = "batchnorm_forward_train";
    require_ncs(op, x, eps);
    if (x.shape(0) * x.shape(2) < 1)
        throw py::value_error(std::string(op) + ": no values per channel in x of shape " + shape_str(x));
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const NormInput<T> in = norm_input<T>(op, x, gamma, beta);
        auto y = empty_like<T>(x);
        py::array_t<T> mean(in.c), var(in.c);
        T *yp = y.mutable_data(), *mp = mean.mutable_data(), *vp = var.mutable_data();
        with_gil_released([&] {
            tl::batchnorm_forward_train<T>(in.x.data(), in.w(), in.b(), yp, mp, vp, in.n, in.c, in.s, eps);
        });
        return py::make_tuple(y, mean, var);
    });
}

py::array batchnorm_forward_eval(py::array x, OptionalArray gamma, OptionalArray beta, py::array mean,
                                 py::array var, double eps) {
    const char* op = "batchnorm_forward_eval";
    require_ncs(op, x, eps);
    return dispatch_float(op, x, [&](auto t) -> py::array {
        using T = decltype(t);
        const NormInput<T> in = norm_input<T>(op, x, gamma, beta);
        auto m = checked<T>(op, "mean", mean, {in.c});
        auto v = checked<T>(op, "var", var, {in.c});
        auto y = empty_like<T>(x);
        const T *mp = m.data(), *vp = v.data();
        T* yp = y.mutable_data();
        with_gil_released([&] {
            tl::batchnorm_forward_eval<T>(in.x.data(), in.w(), in.b(), mp, vp, yp, in.n, in.c, in.s, eps);
        });
        return y;
    });
}

py::tuple batchnorm_backward(py::array x, py::array dy, py::array mean, py::array var, OptionalArray gamma,
                             double eps, bool batch_stats) {
    const char* op = "batchnorm_backward";
    require_ncs(op, x, eps);
    require_same_shape(op, x, dy);
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const NormInput<T> in = norm_input<T>(op, x, gamma, std::nullopt);
        auto dyc = checked<T>(op, "dy", dy);
        auto m = checked<T>(op, "mean", mean, {in.c});
        auto v = checked<T>(op, "var", var, {in.c});
        auto dx = empty_like<T>(x);
        py::array_t<T> dgamma(in.c), dbeta(in.c);
        const T *dyp = dyc.data(), *mp = m.data(), *vp = v.data();
        T *dxp = dx.mutable_data(), *dgp = dgamma.mutable_data(), *dbp = dbeta.mutable_data();
        with_gil_released([&] {
            tl::batchnorm_backward<T>(in.x.data(), dyp, mp, vp, in.w(), dxp, dgp, dbp, in.n, in.c, in.s, eps,
                                      batch_stats);
        });
        return py::make_tuple(dx, dgamma, dbeta);
    });
}

// ---------------------------------------------------------------- layer / group norm

// x must be (N, C, S) with groups a positive divisor of C (at most max(C, 1), so that the N * groups
// statistics never outnumber the values of x plus N).
void check_group_geometry(const char* op, const py::array& x, int64_t groups, double eps) {
    if (x.ndim() != 3)
        throw py::value_error(std::string(op) + ": expected x of shape (N, C, S), got " + shape_str(x));
    const int64_t c = x.shape(1);
    if (groups < 1 || c % groups != 0 || groups > std::max<int64_t>(c, 1))
        throw py::value_error(std::string(op) + ": groups must be a positive divisor of the " +
                              std::to_string(c) + " channels, got " + std::to_string(groups));
    if (!(eps >= 0.0) || std::isinf(eps))
        throw py::value_error(std::string(op) + ": eps must be finite and >= 0, got " + std::to_string(eps));
}

py::tuple layernorm_forward(py::array x, OptionalArray weight, OptionalArray bias, int64_t groups, double eps) {
    const char* op = "layernorm_forward";
    check_group_geometry(op, x, groups, eps);
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const NormInput<T> in = norm_input<T>(op, x, weight, bias);
        auto y = empty_like<T>(x);
        auto mean = empty<T>(op, {in.n, groups}), rstd = empty<T>(op, {in.n, groups});
        T *yp = y.mutable_data(), *mp = mean.mutable_data(), *rp = rstd.mutable_data();
        with_gil_released([&] {
            tl::layernorm_forward<T>(in.x.data(), in.w(), in.b(), yp, mp, rp, in.n, in.c, in.s, groups, eps);
        });
        return py::make_tuple(y, mean, rstd);
    });
}

py::tuple layernorm_backward(py::array x, py::array dy, py::array mean, py::array rstd, OptionalArray weight,
                             int64_t groups, bool need_params) {
    const char* op = "layernorm_backward";
    check_group_geometry(op, x, groups, 0.0);
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const NormInput<T> in = norm_input<T>(op, x, weight, std::nullopt);
        auto dyc = checked<T>(op, "dy", dy, {in.n, in.c, in.s});
        auto m = checked<T>(op, "mean", mean, {in.n, groups});
        auto r = checked<T>(op, "rstd", rstd, {in.n, groups});
        auto dx = empty_like<T>(x);
        T *dwp, *dbp;
        py::object dweight = optional_output<T>(op, need_params, {in.c}, dwp);
        py::object dbias = optional_output<T>(op, need_params, {in.c}, dbp);
        const T *dyp = dyc.data(), *mp = m.data(), *rp = r.data();
        T* dxp = dx.mutable_data();
        with_gil_released([&] {
            tl::layernorm_backward<T>(in.x.data(), dyp, mp, rp, in.w(), dxp, dwp, dbp, in.n, in.c, in.s, groups);
        });
        return py::make_tuple(dx, dweight, dbias);
    });
}

}  // namespace

void register_norm_activation(py::module_& m) {
    m.def("softmax_forward", &softmax_forward, py::arg("x"), py::arg("log") = false,
          "Row-wise (log-)softmax of a 2-D array: y_ij = exp(x_ij - max_i) / sum_k exp(x_ik - max_i).");
    m.def("softmax_backward", &softmax_backward, py::arg("y"), py::arg("dy"), py::arg("log") = false,
          "Gradient of row-wise (log-)softmax given its output y and upstream gradient dy.");
    m.def("activation_forward", &activation_forward, py::arg("x"), py::arg("kind"),
          "relu / sigmoid / tanh of an array.");
    m.def("activation_backward", &activation_backward, py::arg("saved"), py::arg("dy"), py::arg("kind"),
          "Fused activation backward; saved is x for relu and y for sigmoid/tanh.");
    m.def("parametric_activation_forward", &parametric_activation_forward, py::arg("x"), py::arg("kind"),
          py::arg("a") = 0.0, py::arg("b") = 0.0, "leaky_relu / elu / selu / gelu / gelu_tanh / softplus of x.");
    m.def("parametric_activation_backward", &parametric_activation_backward, py::arg("x"), py::arg("dy"),
          py::arg("kind"), py::arg("a") = 0.0, py::arg("b") = 0.0, "dy * f'(x) for a parametric activation.");
    m.def("batchnorm_forward_train", &batchnorm_forward_train, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("eps"), "Batch norm of (N, C, S) x with batch statistics; returns (y, mean, biased var).");
    m.def("batchnorm_forward_eval", &batchnorm_forward_eval, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("mean"), py::arg("var"), py::arg("eps"), "Batch norm of (N, C, S) x with given statistics.");
    m.def("batchnorm_backward", &batchnorm_backward, py::arg("x"), py::arg("dy"), py::arg("mean"), py::arg("var"),
          py::arg("weight"), py::arg("eps"), py::arg("batch_stats"),
          "Fused batch-norm backward; returns (dx, dweight, dbias).");
    m.def("batchnorm_isa", &tl::batchnorm_isa, "The instruction set of the batch-norm loops: avx512, avx2 or generic.");
    m.def("batchnorm_available_isas", &tl::batchnorm_available_isas,
          "The builds of the batch-norm loops this CPU can run (at most TENSORLITE_ISA), best first.");
    // std::invalid_argument reaches Python as ValueError.
    m.def("set_batchnorm_isa", &tl::set_batchnorm_isa, py::arg("name"),
          "Switch the batch-norm loops to build `name` (for tests and benchmarks).");
    m.def("layernorm_forward", &layernorm_forward, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("groups"), py::arg("eps"),
          "Layer / group norm of (N, C, S) x over each of `groups` channel groups (and S) per sample, "
          "per-channel affine; returns (y, mean, rstd), the statistics of shape (N, groups).");
    m.def("layernorm_backward", &layernorm_backward, py::arg("x"), py::arg("dy"), py::arg("mean"),
          py::arg("rstd"), py::arg("weight"), py::arg("groups"), py::arg("need_params"),
          "Fused layer / group norm backward; returns (dx, dweight or None, dbias or None).");
}

}  // namespace tl::bindings
