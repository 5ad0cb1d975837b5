// Bindings of the fused LSTM / GRU gate kernels (cpp/kernels/rnn.h). Every array is float32 or float64,
// one dtype for all, with 2-D shapes consistent with (B, chunks * H).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "bindings/common.h"
#include "bindings/module.h"
#include "kernels/rnn.h"

namespace tl::bindings {
namespace {

using OptionalArray = std::optional<py::array>;

// (B, H) from the gate pre-activation xw of shape (B, chunks * H), after checking that B * 4H (the
// largest array the cells make) fits in int64.
std::pair<int64_t, int64_t> gate_dims(const char* op, const char* name, const py::array& xw, int64_t chunks) {
    if (xw.ndim() != 2 || xw.shape(1) % chunks != 0)
        throw py::value_error(std::string(op) + ": " + name + " must have shape (batch, " + std::to_string(chunks) +
                              " * hidden), got " + shape_str(xw));
    const int64_t batch = xw.shape(0), hidden = xw.shape(1) / chunks;
    checked_mul(op, batch, checked_mul(op, hidden, 4));
    return {batch, hidden};
}

// What both cells' forward reads: xw and hw of shape (B, chunks * H), the optional biases (chunks * H,)
// and the previous state (c for LSTM, h for GRU) of shape (B, H), checked and made contiguous.
template <typename T>
struct CellInput {
    int64_t batch, hidden;
    py::array_t<T> xw, hw;
    std::optional<py::array_t<T>> b_ih, b_hh;
    py::array_t<T> prev;
};

template <typename T>
CellInput<T> cell_input(const char* op, int64_t chunks, const py::array& xw, const py::array& hw,
                        const OptionalArray& b_ih, const OptionalArray& b_hh, const char* prev_name,
                        const py::array& prev) {
    const auto [batch, hidden] = gate_dims(op, "xw", xw, chunks);
    const int64_t gates = chunks * hidden;
    return {batch,
            hidden,
            checked<T>(op, "xw", xw, {batch, gates}),
            checked<T>(op, "hw", hw, {batch, gates}),
            checked<T>(op, "b_ih", b_ih, {gates}),
            checked<T>(op, "b_hh", b_hh, {gates}),
            checked<T>(op, prev_name, prev, {batch, hidden})};
}

py::tuple lstm_cell_forward(py::array xw, py::array hw, OptionalArray b_ih, OptionalArray b_hh, py::array c_prev) {
    const char* op = "lstm_cell_forward";
    return dispatch_float(op, xw, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const CellInput<T> in = cell_input<T>(op, 4, xw, hw, b_ih, b_hh, "c_prev", c_prev);
        py::array_t<T> h({in.batch, in.hidden}), c({in.batch, in.hidden}), gates({in.batch, 4 * in.hidden});
        T *ho = h.mutable_data(), *co = c.mutable_data(), *go = gates.mutable_data();
        with_gil_released([&] {
            tl::lstm_cell_forward<T>(in.xw.data(), in.hw.data(), data_or_null(in.b_ih), data_or_null(in.b_hh),
                                     in.prev.data(), ho, co, go, in.batch, in.hidden);
        });
        return py::make_tuple(h, c, gates);
    });
}

py::tuple lstm_cell_backward(py::array gates, py::array c_prev, py::array c, py::array dh, OptionalArray dc) {
    const char* op = "lstm_cell_backward";
    return dispatch_float(op, gates, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const auto [batch, hidden] = gate_dims(op, "gates", gates, 4);
        const Shape bh{batch, hidden};
        auto gc = checked<T>(op, "gates", gates, {batch, 4 * hidden});
        auto cpc = checked<T>(op, "c_prev", c_prev, bh), cc = checked<T>(op, "c", c, bh);
        auto dhc = checked<T>(op, "dh", dh, bh);
        auto dcc = checked<T>(op, "dc", dc, bh);
        py::array_t<T> dgates({batch, 4 * hidden}), dc_prev({batch, hidden});
        const T *gp = gc.data(), *cpp = cpc.data(), *cp = cc.data(), *dhp = dhc.data(), *dcp = data_or_null(dcc);
        T *dgo = dgates.mutable_data(), *dco = dc_prev.mutable_data();
        with_gil_released([&] { tl::lstm_cell_backward<T>(gp, cpp, cp, dhp, dcp, dgo, dco, batch, hidden); });
        return py::make_tuple(dgates, dc_prev);
    });
}

py::tuple gru_cell_forward(py::array xw, py::array hw, OptionalArray b_ih, OptionalArray b_hh, py::array h_prev) {
    const char* op = "gru_cell_forward";
    return dispatch_float(op, xw, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const CellInput<T> in = cell_input<T>(op, 3, xw, hw, b_ih, b_hh, "h_prev", h_prev);
        py::array_t<T> h({in.batch, in.hidden}), saved({in.batch, 4 * in.hidden});
        T *ho = h.mutable_data(), *so = saved.mutable_data();
        with_gil_released([&] {
            tl::gru_cell_forward<T>(in.xw.data(), in.hw.data(), data_or_null(in.b_ih), data_or_null(in.b_hh),
                                    in.prev.data(), ho, so, in.batch, in.hidden);
        });
        return py::make_tuple(h, saved);
    });
}

py::tuple gru_cell_backward(py::array saved, py::array h_prev, py::array dh) {
    const char* op = "gru_cell_backward";
    return dispatch_float(op, saved, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const auto [batch, hidden] = gate_dims(op, "saved", saved, 4);
        const Shape bh{batch, hidden};
        auto sc = checked<T>(op, "saved", saved, {batch, 4 * hidden});
        auto hpc = checked<T>(op, "h_prev", h_prev, bh), dhc = checked<T>(op, "dh", dh, bh);
        py::array_t<T> dxg({batch, 3 * hidden}), dhg({batch, 3 * hidden}), dh_prev({batch, hidden});
        const T *sp = sc.data(), *hpp = hpc.data(), *dhp = dhc.data();
        T *dxo = dxg.mutable_data(), *dho = dhg.mutable_data(), *dpo = dh_prev.mutable_data();
        with_gil_released([&] { tl::gru_cell_backward<T>(sp, hpp, dhp, dxo, dho, dpo, batch, hidden); });
        return py::make_tuple(dxg, dhg, dh_prev);
    });
}

}  // namespace
}  // namespace tl::bindings

void register_rnn(pybind11::module_& m) {
    namespace py = pybind11;
    using namespace tl::bindings;
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
