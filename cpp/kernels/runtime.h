// Runtime facts shared by every kernel: thread count, measured core clock (CPU features: cpu_features.h).
#pragma once

namespace tl {

// Number of threads the OpenMP kernels use (1 when built without OpenMP).
int get_num_threads();
// Sets the thread count for subsequent kernels; n must be >= 1 (checked by the caller).
void set_num_threads(int n);
// True when the library was compiled with OpenMP.
bool openmp_enabled();
// The core clock in GHz, measured by timing a chain of dependent integer adds (one per cycle);
// 0 where that measurement is not implemented (non-x86).
double measure_clock_ghz();

}  // namespace tl
