// The one pybind11 module: tensorlite._C.
// Every function validates its arrays here (dtype, ndim, shape, contiguity), makes strided inputs
// usable (a contiguous copy when the kernel cannot take the strides), releases the GIL and calls a
// kernel from cpp/kernels/. Bad input raises TypeError/ValueError; nothing reaches a kernel unchecked.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "kernels/softmax.h"
#include "kernels/runtime.h"

namespace py = pybind11;

namespace {

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

// Calls f(T{}) with T = float or double according to a's dtype; TypeError otherwise.
template <typename F>
auto dispatch_float(const char* op, const py::array& a, F&& f) {
    if (has_dtype<float>(a)) return f(float{});
    if (has_dtype<double>(a)) return f(double{});
    throw py::type_error(std::string(op) + ": expected a float32 or float64 array, got dtype " + dtype_str(a));
}

template <typename T>
void require_dtype(const char* op, const char* name, const py::array& a) {
    if (!has_dtype<T>(a))
        throw py::type_error(std::string(op) + ": " + name + " has dtype " + dtype_str(a) + " but " +
                             py::str(py::dtype::of<T>()).cast<std::string>() + " was expected");
}

template <typename T>
py::array_t<T> contiguous(const py::array& a) {
    return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

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

}  // namespace

PYBIND11_MODULE(_C, m) {
    m.doc() = "tensorlite C++ kernels (GEMM, softmax, activations, ...)";

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

    m.def("get_num_threads", &tl::get_num_threads);
    m.def("set_num_threads", [](int n) {
        if (n < 1) throw py::value_error("set_num_threads: n must be >= 1, got " + std::to_string(n));
        tl::set_num_threads(n);
    });
    m.def("openmp_enabled", &tl::openmp_enabled);
    m.def("cpu_isa", &tl::detect_cpu_isa);
    m.def("measure_clock_ghz", &tl::measure_clock_ghz, "Core clock in GHz from a dependent-add chain (0 if unknown).");
    m.attr("compiler") = TENSORLITE_COMPILER;
#ifdef TENSORLITE_CUDA
    m.attr("cuda_enabled") = true;
#else
    m.attr("cuda_enabled") = false;
#endif
}
