// Bindings of the grid-sampling kernels (cpp/kernels/grid_sample.h): every array float32 or float64, the
// same for all, shapes checked against each other.
#include <cstdint>
#include <string>

#include "bindings/common.h"
#include "bindings/module.h"
#include "kernels/grid_sample.h"

namespace tl::bindings {
namespace {

tl::GridSampleGeometry geometry(const char* op, const py::array& input, const py::array& grid, int64_t mode,
                                int64_t padding, bool align_corners) {
    if (input.ndim() != 4)
        throw py::value_error(std::string(op) + ": input must be 4-D (N, C, H, W), got shape " + shape_str(input));
    if (grid.ndim() != 4 || grid.shape(3) != 2 || grid.shape(0) != input.shape(0))
        throw py::value_error(std::string(op) + ": grid must have shape (N, H_out, W_out, 2) with N = " +
                              std::to_string(input.shape(0)) + ", got " + shape_str(grid));
    if (mode < 0 || mode > 1)
        throw py::value_error(std::string(op) + ": mode must be 0 (bilinear) or 1 (nearest), got " +
                              std::to_string(mode));
    if (padding < 0 || padding > 2)
        throw py::value_error(std::string(op) + ": padding must be 0 (zeros), 1 (border) or 2 (reflection), got " +
                              std::to_string(padding));
    tl::GridSampleGeometry g{input.shape(0), input.shape(1), input.shape(2), input.shape(3),
                             grid.shape(1),  grid.shape(2),  static_cast<tl::GridSampleMode>(mode),
                             static_cast<tl::GridSamplePadding>(padding), align_corners};
    if (g.in_h < 1 || g.in_w < 1)
        throw py::value_error(std::string(op) + ": input has an empty spatial dimension, shape " + shape_str(input));
    checked_numel(op, "output", {g.batch, g.channels, g.out_h, g.out_w, 2}, 8);
    return g;
}

py::array grid_sample_forward(py::array input, py::array grid, int64_t mode, int64_t padding, bool align_corners) {
    const char* op = "grid_sample";
    const tl::GridSampleGeometry g = geometry(op, input, grid, mode, padding, align_corners);
    return dispatch_float(op, input, [&](auto t) -> py::array {
        using T = decltype(t);
        auto gc = checked<T>(op, "grid", grid);
        auto xc = contiguous<T>(input);
        auto y = empty<T>(op, {g.batch, g.channels, g.out_h, g.out_w});
        const T *xp = xc.data(), *gp = gc.data();
        T* yp = y.mutable_data();
        with_gil_released([&] { tl::grid_sample_forward<T>(xp, gp, yp, g); });
        return y;
    });
}

py::tuple grid_sample_backward(py::array input, py::array grid, py::array grad_output, int64_t mode,
                               int64_t padding, bool align_corners, bool need_input, bool need_grid) {
    const char* op = "grid_sample_backward";
    const tl::GridSampleGeometry g = geometry(op, input, grid, mode, padding, align_corners);
    if (shape_of(grad_output) != Shape{g.batch, g.channels, g.out_h, g.out_w})
        throw py::value_error(std::string(op) + ": grad_output shape " + shape_str(grad_output) +
                              " does not match input " + shape_str(input) + " and grid " + shape_str(grid));
    return dispatch_float(op, input, [&](auto t) -> py::tuple {
        using T = decltype(t);
        auto gc = checked<T>(op, "grid", grid), dyc = checked<T>(op, "grad_output", grad_output);
        auto xc = contiguous<T>(input);
        T *dxp, *dgp;
        py::object dx = optional_output<T>(op, need_input, shape_of(input), dxp);
        py::object dgrid = optional_output<T>(op, need_grid, {g.batch, g.out_h, g.out_w, 2}, dgp);
        const T *xp = xc.data(), *gp = gc.data(), *dyp = dyc.data();
        with_gil_released([&] { tl::grid_sample_backward<T>(xp, gp, dyp, dxp, dgp, g); });
        return py::make_tuple(dx, dgrid);
    });
}

}  // namespace

void register_sample(py::module_& m) {
    m.def("grid_sample_forward", &grid_sample_forward, py::arg("input"), py::arg("grid"), py::arg("mode"),
          py::arg("padding"), py::arg("align_corners"),
          "Sample (N, C, H, W) input at grid (N, H_out, W_out, 2) in [-1, 1]; mode 0 bilinear / 1 nearest, "
          "padding 0 zeros / 1 border / 2 reflection.");
    m.def("grid_sample_backward", &grid_sample_backward, py::arg("input"), py::arg("grid"),
          py::arg("grad_output"), py::arg("mode"), py::arg("padding"), py::arg("align_corners"),
          py::arg("need_input"), py::arg("need_grid"), "(d input, d grid) of grid_sample, None where not needed.");
}

}  // namespace tl::bindings
