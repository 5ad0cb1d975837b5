// Registration functions of the binding files in cpp/bindings/, one per area, each called once from
// PYBIND11_MODULE in cpp/bindings/module.cpp.
#pragma once
#include <pybind11/pybind11.h>

namespace tl::bindings {

void register_gemm(pybind11::module_& m);
void register_norm_activation(pybind11::module_& m);
void register_conv_pool(pybind11::module_& m);
void register_optim(pybind11::module_& m);
void register_rnn(pybind11::module_& m);
void register_sample(pybind11::module_& m);
void register_runtime(pybind11::module_& m);
void register_autotune(pybind11::module_& m);
void register_block_cache(pybind11::module_& m);

}  // namespace tl::bindings
