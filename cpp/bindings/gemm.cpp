// Bindings of the GEMM kernels (cpp/kernels/gemm.h): C := alpha op(A) op(B) + beta C on 2-D or batched
// 3-D arrays, read through their strides where the kernel can (a transposed view costs no copy), and the
// queries and switch of the active instruction set.
#include <cstdint>
#include <optional>
#include <string>

#include "bindings/common.h"
#include "bindings/module.h"
#include "kernels/gemm.h"

namespace tl::bindings {
namespace {

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

// `out` after checking it can hold the result: dtype T, the result's shape, C-contiguous, writeable.
template <typename T>
py::array_t<T> checked_out(const py::array& o, const Shape& shape) {
    require_dtype<T>("gemm", "out", o);
    if (shape_of(o) != shape || !(o.flags() & py::array::c_style) || !o.writeable())
        throw py::value_error("gemm: out must be a writeable C-contiguous array of shape " + shape_str(shape) +
                              ", got " + shape_str(o));
    return py::reinterpret_borrow<py::array_t<T>>(o);
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
    const Shape out_shape = batched ? Shape{batch, m, n} : Shape{m, n};
    py::array_t<T> c;
    if (out) {
        c = checked_out<T>(*out, out_shape);
    } else {
        c = empty<T>("gemm", out_shape);
        beta = 0.0;  // the new array holds garbage, which beta * C must not read
    }
    T* cp = c.mutable_data();
    const bool ta = trans_a != ma.transposed, tb = trans_b != mb.transposed;
    with_gil_released([&] {
        tl::gemm_batched<T>(batch, ta, tb, m, n, k, static_cast<T>(alpha), ma.data, ma.ld, ma.batch_stride,
                            mb.data, mb.ld, mb.batch_stride, static_cast<T>(beta), cp, n, m * n);
    });
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

}  // namespace

void register_gemm(py::module_& m) {
    m.def("gemm", &gemm, py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false,
          py::arg("alpha") = 1.0, py::arg("beta") = 0.0, py::arg("out") = py::none(),
          "C := alpha * op(a) @ op(b) + beta * out for 2-D or batched 3-D float arrays; returns C "
          "(out itself when given, else a new array and beta is ignored).");
    m.def("gemm_isa", &tl::gemm_isa, "The instruction set of the active GEMM kernels (avx512, avx2 or generic).");
    m.def("set_gemm_isa", &tl::set_gemm_isa, py::arg("name"),
          "Switch the GEMM kernels to `name`; ValueError when this CPU/build cannot run it.");
    m.def("gemm_kernel_variants", &tl::gemm_kernel_variants,
          "Names of the GEMM kernel variants that may run here (built, on this CPU, within TENSORLITE_ISA), "
          "best first.");
    m.def("set_gemm_kernel", &tl::set_gemm_kernel, py::arg("name"),
          "Force every GEMM (and so every conv and linear) onto one kernel variant; 'auto' restores the "
          "normal choice. ValueError naming the choices for another name.");
    m.def("gemm_kernel", &tl::gemm_kernel, "'auto' or the kernel variant set_gemm_kernel forces.");
    m.def("gemm_config", &gemm_config, "Active GEMM ISA, the ISAs available here, and per-dtype block sizes.");
}

}  // namespace tl::bindings
