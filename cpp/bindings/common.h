// What every binding file shares. A binding runs the same steps each time: validate its arrays (dtype,
// ndim, shape, and sizes whose products fit int64), make strided inputs contiguous, allocate the
// outputs (here, holding the GIL, never inside a kernel's parallel region; large ones on tensorlite's
// cached blocks, block_cache.h), release the GIL and call the kernel. The helpers below are those steps;
// failures raise TypeError (wrong dtype) or ValueError (wrong shape, layout or value) naming the
// operation, the argument and its value.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "bindings/block_cache.h"

namespace tl::bindings {

namespace py = pybind11;

using Shape = std::vector<int64_t>;

// "(2, 3)", or "(4,)" for one dimension.
inline std::string shape_str(const Shape& shape) {
    std::ostringstream s;
    s << "(";
    for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
    s << (shape.size() == 1 ? ",)" : ")");
    return s.str();
}

inline Shape shape_of(const py::array& a) { return Shape(a.shape(), a.shape() + a.ndim()); }

inline std::string shape_str(const py::array& a) { return shape_str(shape_of(a)); }

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

inline void require_same_shape(const char* op, const py::array& a, const py::array& b) {
    if (shape_of(a) != shape_of(b))
        throw py::value_error(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                              " must be equal");
}

// a * b for sizes >= 0, or ValueError when the product overflows int64 (a corrupt or hostile shape).
inline int64_t checked_mul(const char* op, int64_t a, int64_t b) {
    if (a < 0 || b < 0 || (a != 0 && b > std::numeric_limits<int64_t>::max() / a))
        throw py::value_error(std::string(op) + ": size " + std::to_string(a) + " x " + std::to_string(b) +
                              " overflows int64");
    return a * b;
}

// The element count of an array of this shape, or ValueError unless its byte count (itemsize bytes an
// element) fits in int64: numpy's own stride arithmetic would overflow, and so would the kernels' indices.
inline int64_t checked_numel(const char* op, const char* what, const Shape& shape, int64_t itemsize) {
    int64_t bytes = itemsize;
    bool fits = true;
    for (const int64_t d : shape) {
        if (d < 0 || (d > 0 && bytes > std::numeric_limits<int64_t>::max() / d)) fits = false;
        bytes = fits ? bytes * d : bytes;
    }
    if (!fits)
        throw py::value_error(std::string(op) + ": the " + what + " of shape " + shape_str(shape) +
                              " has more bytes than fit in int64");
    return bytes / itemsize;
}

// A new uninitialized C-contiguous array of T with numel elements: of blocks::kMinBytes or more, on a
// block of tensorlite's own (block_cache.h: reused from the bounded cache of freed blocks when one fits),
// owned by a capsule that gives the block back when NumPy frees the array; smaller, from NumPy.
template <typename T>
py::array_t<T> new_array(const Shape& shape, int64_t numel) {
    std::vector<py::ssize_t> dims(shape.begin(), shape.end());
    const auto bytes = static_cast<std::size_t>(numel) * sizeof(T);
    if (bytes < blocks::kMinBytes) return py::array_t<T>(dims);
    auto holder = std::make_unique<blocks::Block>();
    *holder = blocks::acquire(bytes);  // std::bad_alloc becomes MemoryError
    py::capsule owner;
    try {
        owner = py::capsule(holder.get(), blocks::kCapsuleName, [](void* p) {
            auto* b = static_cast<blocks::Block*>(p);
            blocks::release(*b);
            delete b;
        });
    } catch (...) {
        blocks::release(*holder);
        throw;
    }
    auto* data = static_cast<T*>(holder.release()->data);
    return py::array_t<T>(dims, data, owner);  // writable: its base is the capsule, not an array
}

// An uninitialized output array of T, its size checked first.
template <typename T>
py::array_t<T> empty(const char* op, const Shape& shape) {
    return new_array<T>(shape, checked_numel(op, "output", shape, sizeof(T)));
}

template <typename T>
py::array_t<T> empty_like(const py::array& a) {
    return new_array<T>(shape_of(a), static_cast<int64_t>(a.size()));
}

// An output the caller may not need: None and ptr = nullptr, or a new array and ptr to its data.
template <typename T>
py::object optional_output(const char* op, bool needed, const Shape& shape, T*& ptr) {
    ptr = nullptr;
    if (!needed) return py::none();
    py::array_t<T> a = empty<T>(op, shape);
    ptr = a.mutable_data();
    return std::move(a);
}

// a itself when it is a C-contiguous array of T, else a C-contiguous copy converted to T.
template <typename T>
py::array_t<T> contiguous(const py::array& a) {
    return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

// a as a C-contiguous array after checking its dtype (T).
template <typename T>
py::array_t<T> checked(const char* op, const char* name, const py::array& a) {
    require_dtype<T>(op, name, a);
    return contiguous<T>(a);
}

// a as a C-contiguous array after checking its dtype (T) and shape; ValueError naming both shapes.
template <typename T>
py::array_t<T> checked(const char* op, const char* name, const py::array& a, const Shape& shape) {
    require_dtype<T>(op, name, a);
    if (shape_of(a) != shape)
        throw py::value_error(std::string(op) + ": " + name + " must have shape " + shape_str(shape) +
                              ", got " + shape_str(a));
    return contiguous<T>(a);
}

// The same for an optional argument (None stays None).
template <typename T>
std::optional<py::array_t<T>> checked(const char* op, const char* name, const std::optional<py::array>& a,
                                      const Shape& shape) {
    if (!a) return std::nullopt;
    return checked<T>(op, name, *a, shape);
}

template <typename T>
const T* data_or_null(const std::optional<py::array_t<T>>& a) {
    return a ? a->data() : nullptr;
}

// f() with the GIL released: the kernel call, after every array is checked and allocated. f must not
// touch a Python object.
template <typename F>
auto with_gil_released(F&& f) {
    py::gil_scoped_release release;
    return f();
}

}  // namespace tl::bindings
