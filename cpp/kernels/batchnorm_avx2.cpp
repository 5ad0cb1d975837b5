// The batch-norm loops (batchnorm_loops.h) built with -mavx2 -mfma (CMakeLists.txt): 256-bit vectors.
// Chosen only where the CPU has AVX2 and FMA.
#include "kernels/batchnorm_isa.h"

namespace tl::batchnorm_impl::avx2 {
#if defined(__AVX2__) && defined(__FMA__)
#include "kernels/batchnorm_loops.h"
#else
const Table* table() { return nullptr; }
#endif
}  // namespace tl::batchnorm_impl::avx2
