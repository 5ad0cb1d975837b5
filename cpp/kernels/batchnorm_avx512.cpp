// The batch-norm loops (batchnorm_loops.h) built with -mavx512f -mprefer-vector-width=512 (CMakeLists.txt):
// 512-bit vectors. Chosen only where the CPU has AVX-512F.
#include "kernels/batchnorm_isa.h"

namespace tl::batchnorm_impl::avx512 {
#if defined(__AVX512F__)
#include "kernels/batchnorm_loops.h"
#else
const Table* table() { return nullptr; }
#endif
}  // namespace tl::batchnorm_impl::avx512
