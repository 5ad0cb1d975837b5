// The fused optimizer loops (optim_loops.h) built with -mavx512f -mavx2 -mfma -fno-math-errno
// (CMakeLists.txt): 512-bit vectors. Chosen only where the CPU has AVX-512F.
#include "kernels/optim_isa.h"

namespace tl::optim_impl::avx512 {
#if defined(__AVX512F__)
#include "kernels/optim_loops.h"
#else
const Table* table() { return nullptr; }
#endif
}  // namespace tl::optim_impl::avx512
