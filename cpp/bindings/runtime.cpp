// Bindings of the runtime (cpp/kernels/runtime.h, cpu_features.h): the OpenMP thread count, the CPU's
// instruction set, the clock, and how the module was built.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <string>

#include "bindings/module.h"
#include "kernels/cpu_features.h"
#include "kernels/runtime.h"

namespace tl::bindings {
namespace {

namespace py = pybind11;

void set_num_threads(int64_t n) {
    if (n < 1) throw py::value_error("set_num_threads: n must be >= 1, got " + std::to_string(n));
    if (n > std::numeric_limits<int>::max())  // OpenMP takes a C int
        throw py::value_error("set_num_threads: n must be at most " +
                              std::to_string(std::numeric_limits<int>::max()) + ", got " + std::to_string(n));
    tl::set_num_threads(static_cast<int>(n));
}

}  // namespace

void register_runtime(py::module_& m) {
    m.def("get_num_threads", &tl::get_num_threads, "The number of threads the kernels run on.");
    m.def("set_num_threads", &set_num_threads, py::arg("n"),
          "Run the kernels on n >= 1 threads (OpenMP's team size).");
    m.def("openmp_enabled", &tl::openmp_enabled, "Whether the module was built with OpenMP.");
    m.def("cpu_isa", [] { return std::string(tl::isa_name(tl::cpu_isa())); },
          "The best instruction set this CPU has: avx512, avx2 or generic.");
    m.def("measure_clock_ghz", &tl::measure_clock_ghz, "Core clock in GHz from a dependent-add chain (0 if unknown).");
    m.attr("compiler") = TENSORLITE_COMPILER;
#ifdef TENSORLITE_CUDA
    m.attr("cuda_enabled") = true;
#else
    m.attr("cuda_enabled") = false;
#endif
}

}  // namespace tl::bindings
