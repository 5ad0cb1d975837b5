// The areas of the tensorlite._C module: each binding file defines one register_<area> function, and
// PYBIND11_MODULE in cpp/bindings.cpp calls them all.
#pragma once
#include <pybind11/pybind11.h>

namespace tl::bindings {

// Fused optimizer updates, their instruction-set switch and the gradient norm (cpp/bindings/optim.cpp).
void register_optim(pybind11::module_& m);

}  // namespace tl::bindings
