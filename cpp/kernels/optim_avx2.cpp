// The fused optimizer loops (optim_loops.h) built with -mavx2 -mfma -fno-math-errno (CMakeLists.txt):
// 256-bit vectors for sqrt, division and FMA. Chosen only where the CPU has AVX2 and FMA.
#include "kernels/optim_isa.h"

namespace tl::optim_impl::avx2 {
#if defined(__AVX2__) && defined(__FMA__)
#include "kernels/optim_loops.h"
#else
const Table* table() { return nullptr; }
#endif
}  // namespace tl::optim_impl::avx2
