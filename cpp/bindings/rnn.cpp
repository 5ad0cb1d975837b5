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
        auto h = empty<T>(op, {in.batch, in.hidden}), c = empty<T>(op, {in.batch, in.hidden});
        auto gates = empty<T>(op, {in.batch, 4 * in.hidden});
        T *ho = h.mutable_data(), *co = c.mutable_data(), *go = gates.mutable_data();
        with_gil_released([&] {
            tl::lstm_cell_forward<T>(in.xw.data(), in.hw.data(), data_or_null(in.b_ih), data_or_null(in.b_hh),
                                     in.prev.data(), ho, co, go, in.batch, in.hidden);
        });
        return py::make_tuple(h, c, gates);
    });
}

// The (B, 4H) array a cell's forward saved (LSTM's gates, GRU's [r, z, n, hn]), checked, with B and H.
template <typename T>
struct SavedGates {
    int64_t batch, hidden;
    py::array_t<T> array;
    Shape state() const { return {batch, hidden}; }
};

template <typename T>
SavedGates<T> saved_gates(const char* op, const char* name, const py::array& saved) {
    const auto [batch, hidden] = gate_dims(op, name, saved, 4);
    return {batch, hidden, checked<T>(op, name, saved, {batch, 4 * hidden})};
}

py::tuple lstm_cell_backward(py::array gates, py::array c_prev, py::array c, py::array dh, OptionalArray dc) {
    const char* op = "lstm_cell_backward";
    return dispatch_float(op, gates, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const SavedGates<T> g = saved_gates<T>(op, "gates", gates);
        auto cpc = checked<T>(op, "c_prev", c_prev, g.state()), cc = checked<T>(op, "c", c, g.state());
        auto dhc = checked<T>(op, "dh", dh, g.state()), dcc = checked<T>(op, "dc", dc, g.state());
        auto dgates = empty<T>(op, {g.batch, 4 * g.hidden}), dc_prev = empty<T>(op, {g.batch, g.hidden});
        T *dgo = dgates.mutable_data(), *dco = dc_prev.mutable_data();
        with_gil_released([&] {
            tl::lstm_cell_backward<T>(g.array.data(), cpc.data(), cc.data(), dhc.data(), data_or_null(dcc), dgo,
                                      dco, g.batch, g.hidden);
        });
        return py::make_tuple(dgates, dc_prev);
    });
}

py::tuple gru_cell_forward(py::array xw, py::array hw, OptionalArray b_ih, OptionalArray b_hh, py::array h_prev) {
    const char* op = "gru_cell_forward";
    return dispatch_float(op, xw, [&](auto t) -> py::tuple {
        using T = decltype(t);
        const CellInput<T> in = cell_input<T>(op, 3, xw, hw, b_ih, b_hh, "h_prev", h_prev);
        auto h = empty<T>(op, {in.batch, in.hidden}), saved = empty<T>(op, {in.batch, 4 * in.hidden});
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
        const SavedGates<T> g = saved_gates<T>(op, "saved", saved);
        auto hpc = checked<T>(op, "h_prev", h_prev, g.state()), dhc = checked<T>(op, "dh", dh, g.state());
        auto dxg = empty<T>(op, {g.batch, 3 * g.hidden}), dhg = empty<T>(op, {g.batch, 3 * g.hidden});
        auto dh_prev = empty<T>(op, {g.batch, g.hidden});
        T *dxo = dxg.mutable_data(), *dho = dhg.mutable_data(), *dpo = dh_prev.mutable_data();
        with_gil_released([&] {
            tl::gru_cell_backward<T>(g.array.data(), hpc.data(), dhc.data(), dxo, dho, dpo, g.batch, g.hidden);
        });
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

}  // namespace tl::bindings
