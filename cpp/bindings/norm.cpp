// Bindings of the layer / group normalization kernels (kernels/layernorm.h). Same contract as
// cpp/bindings.cpp: every array is validated here (dtype, shape), made contiguous, and the kernel runs
// with the GIL released; bad input raises TypeError/ValueError naming the argument.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>

#include "bindings/module.h"
#include "kernels/layernorm.h"

namespace py = pybind11;

namespace {

// Minimal copies of cpp/bindings.cpp's helpers (that file keeps them in its own anonymous namespace).
std::string shape_str(const py::array& a) {
    std::ostringstream s;
    s << "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s << (i ? ", " : "") << a.shape(i);
    s << (a.ndim() == 1 ? ",)" : ")");
    return s.str();
}

std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

template <typename T>
bool has_dtype(const py::array& a) {
    return a.dtype().kind() == 'f' && a.dtype().itemsize() == static_cast<py::ssize_t>(sizeof(T));
}

template <typename F>
auto dispatch_float(const char* op, const py::array& a, F&& f) {
    if (has_dtype<float>(a)) return f(float{});
    if (has_dtype<double>(a)) return f(double{});
    throw py::type_error(std::string(op) + ": expected a float32 or float64 array, got dtype " +
                         dtype_str(a));
}

template <typename T>
py::array_t<T> checked(const char* op, const char* name, const py::array& a, py::ssize_t d0,
                       py::ssize_t d1 = -1) {
    if (!has_dtype<T>(a))
        throw py::type_error(std::string(op) + ": " + name + " has dtype " + dtype_str(a) + " but " +
                             py::str(py::dtype::of<T>()).cast<std::string>() + " was expected");
    const bool ok = d1 < 0 ? a.ndim() == 1 && a.shape(0) == d0
                           : a.ndim() == 2 && a.shape(0) == d0 && a.shape(1) == d1;
    if (!ok)
        throw py::value_error(std::string(op) + ": " + name + " must have shape (" + std::to_string(d0) +
                              (d1 < 0 ? ",)" : ", " + std::to_string(d1) + ")") + ", got " + shape_str(a));
    return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

template <typename T>
const T* data_or_null(const std::optional<py::array_t<T>>& a) {
    return a ? a->data() : nullptr;
}

// x must be (N, C, S) with groups a positive divisor of C (at most max(C, 1), so that the N * groups
// statistics never outnumber the values of x plus N).
void check_geometry(const char* op, const py::array& x, int64_t groups, double eps) {
    if (x.ndim() != 3)
        throw py::value_error(std::string(op) + ": expected x of shape (N, C, S), got " + shape_str(x));
    const int64_t c = x.shape(1);
    if (groups < 1 || c % groups != 0 || groups > std::max<int64_t>(c, 1))
        throw py::value_error(std::string(op) + ": groups must be a positive divisor of the " +
                              std::to_string(c) + " channels, got " + std::to_string(groups));
    if (!(eps >= 0.0) || std::isinf(eps))
        throw py::value_error(std::string(op) + ": eps must be finite and >= 0, got " + std::to_string(eps));
}

py::tuple layernorm_forward(py::array x, std::optional<py::array> weight, std::optional<py::array> bias,
                            int64_t groups, double eps) {
    const char* op = "layernorm_forward";
    check_geometry(op, x, groups, eps);
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const py::ssize_t n = x.shape(0), c = x.shape(1), s = x.shape(2);
        std::optional<py::array_t<T>> w, b;
        if (weight) w = checked<T>(op, "weight", *weight, c);
        if (bias) b = checked<T>(op, "bias", *bias, c);
        auto xc = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(x);
        py::array_t<T> y({n, c, s}), mean({n, static_cast<py::ssize_t>(groups)}),
            rstd({n, static_cast<py::ssize_t>(groups)});
        const T *xp = xc.data(), *wp = data_or_null(w), *bp = data_or_null(b);
        T *yp = y.mutable_data(), *mp = mean.mutable_data(), *rp = rstd.mutable_data();
        {
            py::gil_scoped_release release;
            tl::layernorm_forward<T>(xp, wp, bp, yp, mp, rp, n, c, s, groups, eps);
        }
        return py::make_tuple(y, mean, rstd);
    });
}

py::tuple layernorm_backward(py::array x, py::array dy, py::array mean, py::array rstd,
                             std::optional<py::array> weight, int64_t groups, bool need_params) {
    const char* op = "layernorm_backward";
    check_geometry(op, x, groups, 0.0);
    return dispatch_float(op, x, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const py::ssize_t n = x.shape(0), c = x.shape(1), s = x.shape(2);
        if (!has_dtype<T>(dy) || dy.ndim() != 3 || dy.shape(0) != n || dy.shape(1) != c || dy.shape(2) != s)
            throw py::value_error(std::string(op) + ": dy (dtype " + dtype_str(dy) + ", shape " +
                                  shape_str(dy) + ") must match x (dtype " + dtype_str(x) + ", shape " +
                                  shape_str(x) + ")");
        auto m = checked<T>(op, "mean", mean, n, groups);
        auto r = checked<T>(op, "rstd", rstd, n, groups);
        std::optional<py::array_t<T>> w;
        if (weight) w = checked<T>(op, "weight", *weight, c);
        auto xc = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(x);
        auto dyc = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(dy);
        py::array_t<T> dx({n, c, s});
        py::object dweight = py::none(), dbias = py::none();
        T *dwp = nullptr, *dbp = nullptr;
        if (need_params) {
            py::array_t<T> a(c), b(c);
            dwp = a.mutable_data();
            dbp = b.mutable_data();
            dweight = a;
            dbias = b;
        }
        const T *xp = xc.data(), *dyp = dyc.data(), *mp = m.data(), *rp = r.data(), *wp = data_or_null(w);
        T* dxp = dx.mutable_data();
        {
            py::gil_scoped_release release;
            tl::layernorm_backward<T>(xp, dyp, mp, rp, wp, dxp, dwp, dbp, n, c, s, groups);
        }
        return py::make_tuple(dx, dweight, dbias);
    });
}

}  // namespace

void register_norm(py::module_& m) {
    m.def("layernorm_forward", &layernorm_forward, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("groups"), py::arg("eps"),
          "Layer / group norm of (N, C, S) x over each of `groups` channel groups (and S) per sample, "
          "per-channel affine; returns (y, mean, rstd), the statistics of shape (N, groups).");
    m.def("layernorm_backward", &layernorm_backward, py::arg("x"), py::arg("dy"), py::arg("mean"),
          py::arg("rstd"), py::arg("weight"), py::arg("groups"), py::arg("need_params"),
          "Fused layer / group norm backward; returns (dx, dweight or None, dbias or None).");
}
