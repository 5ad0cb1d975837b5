// Bindings of the fused LSTM / GRU gate kernels (cpp/kernels/rnn.h). Each function checks every
// array (float32/float64, one dtype for all, 2-D shapes consistent with (B, chunks*H)), makes the
// inputs C-contiguous, allocates the outputs with overflow-checked sizes, releases the GIL and calls
// the kernel. Bad input raises TypeError/ValueError naming the argument; nothing reaches a kernel unchecked.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "bindings/module.h"
#include "kernels/rnn.h"

namespace py = pybind11;

namespace {

// The helpers below are minimal copies of those in cpp/bindings.cpp (shape_str, dtype_str, has_dtype,
// require_dtype, contiguous, dispatch_float), kept here until the bindings share a header.
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

int64_t checked_mul(const char* op, int64_t a, int64_t b) {
    if (a != 0 && b > std::numeric_limits<int64_t>::max() / a)
        throw py::value_error(std::string(op) + ": size " + std::to_string(a) + " x " + std::to_string(b) +
                              " overflows");
    return a * b;
}

// (B, H) from the gate pre-activation xw of shape (B, chunks * H).
std::pair<int64_t, int64_t> gate_dims(const char* op, const char* name, const py::array& xw, int64_t chunks) {
    if (xw.ndim() != 2 || xw.shape(1) % chunks != 0)
        throw py::value_error(std::string(op) + ": " + name + " must have shape (batch, " + std::to_string(chunks) +
                              " * hidden), got " + shape_str(xw));
    return {xw.shape(0), xw.shape(1) / chunks};
}

// Checks dtype T and shape (rows, cols) (rows < 0: a 1-D array of length cols); returns a C-contiguous array.
template <typename T>
py::array_t<T> checked(const char* op, const char* name, const py::array& a, int64_t rows, int64_t cols) {
    require_dtype<T>(op, name, a);
    const bool ok = rows < 0 ? (a.ndim() == 1 && a.shape(0) == cols)
                             : (a.ndim() == 2 && a.shape(0) == rows && a.shape(1) == cols);
    if (!ok) {
        const std::string want = rows < 0 ? "(" + std::to_string(cols) + ",)"
                                          : "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
        throw py::value_error(std::string(op) + ": " + name + " has shape " + shape_str(a) + " but " + want +
                              " was expected");
    }
    return contiguous<T>(a);
}

template <typename T>
std::optional<py::array_t<T>> checked_bias(const char* op, const char* name, const std::optional<py::array>& b,
                                           int64_t size) {
    if (!b) return std::nullopt;
    return checked<T>(op, name, *b, -1, size);
}

template <typename T>
const T* ptr(const std::optional<py::array_t<T>>& a) {
    return a ? a->data() : nullptr;
}

py::tuple lstm_cell_forward(py::array xw, py::array hw, std::optional<py::array> b_ih, std::optional<py::array> b_hh,
                            py::array c_prev) {
    const char* op = "lstm_cell_forward";
    return dispatch_float(op, xw, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const auto [batch, hidden] = gate_dims(op, "xw", xw, 4);
        const int64_t g4 = checked_mul(op, hidden, 4);
        checked_mul(op, batch, g4);
        auto xc = checked<T>(op, "xw", xw, batch, g4), hc = checked<T>(op, "hw", hw, batch, g4);
        auto bi = checked_bias<T>(op, "b_ih", b_ih, g4), bh = checked_bias<T>(op, "b_hh", b_hh, g4);
        auto cp = checked<T>(op, "c_prev", c_prev, batch, hidden);
        py::array_t<T> h({batch, hidden}), c({batch, hidden}), gates({batch, g4});
        const T *xp = xc.data(), *hp = hc.data(), *bip = ptr(bi), *bhp = ptr(bh), *cpp = cp.data();
        T *ho = h.mutable_data(), *co = c.mutable_data(), *go = gates.mutable_data();
        {
            py::gil_scoped_release release;
            tl::lstm_cell_forward<T>(xp, hp, bip, bhp, cpp, ho, co, go, batch, hidden);
        }
        return py::make_tuple(h, c, gates);
    });
}

py::tuple lstm_cell_backward(py::array gates, py::array c_prev, py::array c, py::array dh,
                             std::optional<py::array> dc) {
    const char* op = "lstm_cell_backward";
    return dispatch_float(op, gates, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const auto [batch, hidden] = gate_dims(op, "gates", gates, 4);
        const int64_t g4 = checked_mul(op, hidden, 4);
        checked_mul(op, batch, g4);
        auto gc = checked<T>(op, "gates", gates, batch, g4);
        auto cpc = checked<T>(op, "c_prev", c_prev, batch, hidden), cc = checked<T>(op, "c", c, batch, hidden);
        auto dhc = checked<T>(op, "dh", dh, batch, hidden);
        std::optional<py::array_t<T>> dcc;
        if (dc) dcc = checked<T>(op, "dc", *dc, batch, hidden);
        py::array_t<T> dgates({batch, g4}), dc_prev({batch, hidden});
        const T *gp = gc.data(), *cpp = cpc.data(), *cp = cc.data(), *dhp = dhc.data(), *dcp = ptr(dcc);
        T *dgo = dgates.mutable_data(), *dco = dc_prev.mutable_data();
        {
            py::gil_scoped_release release;
            tl::lstm_cell_backward<T>(gp, cpp, cp, dhp, dcp, dgo, dco, batch, hidden);
        }
        return py::make_tuple(dgates, dc_prev);
    });
}

py::tuple gru_cell_forward(py::array xw, py::array hw, std::optional<py::array> b_ih, std::optional<py::array> b_hh,
                           py::array h_prev) {
    const char* op = "gru_cell_forward";
    return dispatch_float(op, xw, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const auto [batch, hidden] = gate_dims(op, "xw", xw, 3);
        const int64_t g3 = checked_mul(op, hidden, 3), g4 = checked_mul(op, hidden, 4);
        checked_mul(op, batch, g4);
        auto xc = checked<T>(op, "xw", xw, batch, g3), hc = checked<T>(op, "hw", hw, batch, g3);
        auto bi = checked_bias<T>(op, "b_ih", b_ih, g3), bh = checked_bias<T>(op, "b_hh", b_hh, g3);
        auto hpc = checked<T>(op, "h_prev", h_prev, batch, hidden);
        py::array_t<T> h({batch, hidden}), saved({batch, g4});
        const T *xp = xc.data(), *hp = hc.data(), *bip = ptr(bi), *bhp = ptr(bh), *hpp = hpc.data();
        T *ho = h.mutable_data(), *so = saved.mutable_data();
        {
            py::gil_scoped_release release;
            tl::gru_cell_forward<T>(xp, hp, bip, bhp, hpp, ho, so, batch, hidden);
        }
        return py::make_tuple(h, saved);
    });
}

py::tuple gru_cell_backward(py::array saved, py::array h_prev, py::array dh) {
    const char* op = "gru_cell_backward";
    return dispatch_float(op, saved, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const auto [batch, hidden] = gate_dims(op, "saved", saved, 4);
        const int64_t g3 = checked_mul(op, hidden, 3), g4 = checked_mul(op, hidden, 4);
        checked_mul(op, batch, g4);
        auto sc = checked<T>(op, "saved", saved, batch, g4);
        auto hpc = checked<T>(op, "h_prev", h_prev, batch, hidden), dhc = checked<T>(op, "dh", dh, batch, hidden);
        py::array_t<T> dxg({batch, g3}), dhg({batch, g3}), dh_prev({batch, hidden});
        const T *sp = sc.data(), *hpp = hpc.data(), *dhp = dhc.data();
        T *dxo = dxg.mutable_data(), *dho = dhg.mutable_data(), *dpo = dh_prev.mutable_data();
        {
            py::gil_scoped_release release;
            tl::gru_cell_backward<T>(sp, hpp, dhp, dxo, dho, dpo, batch, hidden);
        }
        return py::make_tuple(dxg, dhg, dh_prev);
    });
}

}  // namespace

void register_rnn(py::module_& m) {
    m.def("lstm_cell_forward", &lstm_cell_forward, py::arg("xw"), py::arg("hw"), py::arg("b_ih"), py::arg("b_hh"),
          py::arg("c_prev"),
          "Fused LSTM gates (i, f, g, o) from xw = x W_ih^T, hw = h W_hh^T (B, 4H); returns (h, c, gates).");
    m.def("lstm_cell_backward", &lstm_cell_backward, py::arg("gates"), py::arg("c_prev"), py::arg("c"),
          py::arg("dh"), py::arg("dc"),
          "LSTM gate backward from the saved gates; returns (d gate pre-activations (B, 4H), dc_prev).");
    m.def("gru_cell_forward", &gru_cell_forward, py::arg("xw"), py::arg("hw"), py::arg("b_ih"), py::arg("b_hh"),
          py::arg("h_prev"),
          "Fused GRU gates (r, z, n) from xw = x W_ih^T, hw = h W_hh^T (B, 3H); returns (h, [r, z, n, hn]).");
    m.def("gru_cell_backward", &gru_cell_backward, py::arg("saved"), py::arg("h_prev"), py::arg("dh"),
          "GRU gate backward; returns (d x-side pre-activations, d h-side pre-activations, direct dh_prev).");
}
