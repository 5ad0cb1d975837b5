// Bindings of the grid-sampling kernels (cpp/kernels/grid_sample.h): grid_sample_forward/backward.
// Same pattern as cpp/bindings.cpp: dtype dispatch (float32/float64, every array the same), shapes
// checked and named in the error, strided inputs copied contiguous, sizes checked against int64 overflow,
// the GIL released around the kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "bindings/module.h"
#include "kernels/grid_sample.h"

namespace py = pybind11;

namespace {

std::string shape_of(const py::array& a) {
    std::ostringstream s;
    s << "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s << (i ? ", " : "") << a.shape(i);
    s << (a.ndim() == 1 ? ",)" : ")");
    return s.str();
}

template <typename T>
bool is_dtype(const py::array& a) {
    return a.dtype().kind() == 'f' && a.dtype().itemsize() == static_cast<py::ssize_t>(sizeof(T));
}

template <typename T>
void require(const char* op, const char* name, const py::array& a) {
    if (!is_dtype<T>(a))
        throw py::type_error(std::string(op) + ": " + name + " has dtype " +
                             py::str(a.dtype()).cast<std::string>() + " but " +
                             py::str(py::dtype::of<T>()).cast<std::string>() + " was expected");
}

template <typename T>
py::array_t<T> contiguous_copy(const py::array& a) {
    return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

// The product of the sizes, or ValueError when it would overflow int64 (a corrupt or hostile shape).
int64_t checked_product(const char* op, std::initializer_list<int64_t> sizes) {
    int64_t total = 1;
    for (int64_t s : sizes) {
        if (s != 0 && total > std::numeric_limits<int64_t>::max() / s)
            throw py::value_error(std::string(op) + ": sizes overflow int64");
        total *= s;
    }
    return total;
}

tl::GridSampleGeometry geometry(const char* op, const py::array& input, const py::array& grid, int64_t mode,
                                int64_t padding, bool align_corners) {
    if (input.ndim() != 4)
        throw py::value_error(std::string(op) + ": input must be 4-D (N, C, H, W), got shape " + shape_of(input));
    if (grid.ndim() != 4 || grid.shape(3) != 2 || grid.shape(0) != input.shape(0))
        throw py::value_error(std::string(op) + ": grid must have shape (N, H_out, W_out, 2) with N = " +
                              std::to_string(input.shape(0)) + ", got " + shape_of(grid));
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
        throw py::value_error(std::string(op) + ": input has an empty spatial dimension, shape " + shape_of(input));
    checked_product(op, {g.batch, g.channels, g.in_h, g.in_w});
    checked_product(op, {g.batch, g.channels, g.out_h, g.out_w, 2});
    return g;
}

py::array grid_sample_forward(py::array input, py::array grid, int64_t mode, int64_t padding, bool align_corners) {
    const tl::GridSampleGeometry g = geometry("grid_sample", input, grid, mode, padding, align_corners);
    auto run = [&](auto t) -> py::array {
        using T = decltype(t);
        require<T>("grid_sample", "grid", grid);
        auto xc = contiguous_copy<T>(input);
        auto gc = contiguous_copy<T>(grid);
        py::array_t<T> y({g.batch, g.channels, g.out_h, g.out_w});
        const T *xp = xc.data(), *gp = gc.data();
        T* yp = y.mutable_data();
        py::gil_scoped_release release;
        tl::grid_sample_forward<T>(xp, gp, yp, g);
        return y;
    };
    if (is_dtype<float>(input)) return run(float{});
    if (is_dtype<double>(input)) return run(double{});
    throw py::type_error("grid_sample: expected a float32 or float64 input, got dtype " +
                         py::str(input.dtype()).cast<std::string>());
}

py::tuple grid_sample_backward(py::array input, py::array grid, py::array grad_output, int64_t mode,
                               int64_t padding, bool align_corners, bool need_input, bool need_grid) {
    const char* op = "grid_sample_backward";
    const tl::GridSampleGeometry g = geometry(op, input, grid, mode, padding, align_corners);
    if (grad_output.ndim() != 4 || grad_output.shape(0) != g.batch || grad_output.shape(1) != g.channels ||
        grad_output.shape(2) != g.out_h || grad_output.shape(3) != g.out_w)
        throw py::value_error(std::string(op) + ": grad_output shape " + shape_of(grad_output) +
                              " does not match input " + shape_of(input) + " and grid " + shape_of(grid));
    auto run = [&](auto t) -> py::tuple {
        using T = decltype(t);
        require<T>(op, "grid", grid);
        require<T>(op, "grad_output", grad_output);
        auto xc = contiguous_copy<T>(input);
        auto gc = contiguous_copy<T>(grid);
        auto dyc = contiguous_copy<T>(grad_output);
        py::object dx = py::none(), dgrid = py::none();
        T *dxp = nullptr, *dgp = nullptr;
        if (need_input) {
            py::array_t<T> a({g.batch, g.channels, g.in_h, g.in_w});
            dxp = a.mutable_data();
            dx = a;
        }
        if (need_grid) {
            py::array_t<T> a({g.batch, g.out_h, g.out_w, int64_t(2)});
            dgp = a.mutable_data();
            dgrid = a;
        }
        const T *xp = xc.data(), *gp = gc.data(), *dyp = dyc.data();
        {
            py::gil_scoped_release release;
            tl::grid_sample_backward<T>(xp, gp, dyp, dxp, dgp, g);
        }
        return py::make_tuple(dx, dgrid);
    };
    if (is_dtype<float>(input)) return run(float{});
    if (is_dtype<double>(input)) return run(double{});
    throw py::type_error(std::string(op) + ": expected a float32 or float64 input, got dtype " +
                         py::str(input.dtype()).cast<std::string>());
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
