// Helpers every binding file shares: dtype dispatch and the checks that name the argument and its value.
// Failures raise TypeError (wrong dtype) or ValueError (wrong shape, layout or value).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <sstream>
#include <string>

namespace tl::bindings {

namespace py = pybind11;

// "(2, 3)", or "(4,)" for one dimension.
inline std::string shape_str(const py::array& a) {
    std::ostringstream s;
    s << "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s << (i ? ", " : "") << a.shape(i);
    s << (a.ndim() == 1 ? ",)" : ")");
    return s.str();
}

inline std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

template <typename T>
bool has_dtype(const py::array& a) {
    return a.dtype().kind() == 'f' && a.dtype().itemsize() == static_cast<py::ssize_t>(sizeof(T));
}

// Calls f(T{}) with T = float or double according to a's dtype; TypeError otherwise.
template <typename F>
auto dispatch_float(const char* op, const py::array& a, F&& f) {
    if (has_dtype<float>(a)) return f(float{});
    if (has_dtype<double>(a)) return f(double{});
    throw py::type_error(std::string(op) + ": expected a float32 or float64 array, got dtype " +
                         dtype_str(a));
}

template <typename T>
void require_dtype(const char* op, const char* name, const py::array& a) {
    if (!has_dtype<T>(a))
        throw py::type_error(std::string(op) + ": " + name + " has dtype " + dtype_str(a) + " but " +
                             py::str(py::dtype::of<T>()).cast<std::string>() + " was expected");
}

// a itself when it is a C-contiguous array of T, else a C-contiguous copy converted to T.
template <typename T>
py::array_t<T> contiguous(const py::array& a) {
    return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

}  // namespace tl::bindings
