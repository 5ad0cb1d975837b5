// Thread-count control and CPU feature detection shared by every kernel.
#pragma once
#include <string>

namespace tl {

// Number of threads the OpenMP kernels use (1 when built without OpenMP).
int get_num_threads();
// Sets the thread count for subsequent kernels; n must be >= 1 (checked by the caller).
void set_num_threads(int n);
// True when the library was compiled with OpenMP.
bool openmp_enabled();
// The best SIMD instruction set this CPU supports: "avx512", "avx2" or "generic".
std::string detect_cpu_isa();

}  // namespace tl
