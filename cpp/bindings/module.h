// Registration functions of the binding files in cpp/bindings/, each called once from PYBIND11_MODULE
// in cpp/bindings.cpp.
#pragma once
#include <pybind11/pybind11.h>

void register_optim(pybind11::module_& m);
void register_rnn(pybind11::module_& m);
void register_norm(pybind11::module_& m);
void register_sample(pybind11::module_& m);
