// The per-instruction-set builds of the fused optimizer loops. optim_loops.h holds the loops once; each
// build's translation unit (optim_generic.cpp, optim_avx2.cpp, compiled with that set's flags) includes
// it inside its own namespace below, which defines that namespace's table(). optim.cpp picks the table
// that runs through cpu_features.h. There is no AVX-512 build: the loops are memory-bound, and one
// measured no faster than AVX2 (bench_optim.py, 10M float32).
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/optim.h"
#include "kernels/parallel.h"

namespace tl {
namespace optim_impl {


struct Table {
    OptimKernels<float> f32;
    OptimKernels<double> f64;
};

// Each returns nullptr where its unit was compiled without the instruction set (non-x86, other compilers).
namespace generic {
const Table* table();
}
namespace avx2 {
const Table* table();
}

}  // namespace optim_impl
}  // namespace tl
