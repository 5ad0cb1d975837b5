// The fused optimizer loops (optim_loops.h) compiled with -mavx2 -mfma (CMakeLists.txt): 256-bit
// vectors for sqrt, division and FMA. optim.cpp only calls them after CPUID reports AVX2 and FMA.
// Where the flags are not applied (non-x86, other compilers) this is a portable copy and built() says so.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/optim.h"
#include "kernels/optim_isa.h"

namespace tl {
namespace optim_avx2 {

#include "kernels/optim_loops.h"

bool built() {
#if defined(__AVX2__) && defined(__FMA__)
    return true;
#else
    return false;
#endif
}

#define TL_INSTANTIATE_OPTIM_LOOPS(T)                                                                   \
    template void sgd_step<T>(T*, const T*, T*, int64_t, const SgdHyper&);                              \
    template void momentum_step<T>(T*, const T*, T*, int64_t, double, double);                          \
    template void adagrad_step<T>(T*, const T*, T*, int64_t, const AdagradHyper&);                      \
    template void rmsprop_step<T>(T*, const T*, T*, T*, T*, int64_t, const RmspropHyper&);              \
    template void adam_step<T>(T*, const T*, T*, T*, T*, int64_t, const AdamHyper&);                    \
    template void adadelta_step<T>(T*, const T*, T*, T*, int64_t, const AdadeltaHyper&);

TL_INSTANTIATE_OPTIM_LOOPS(float)
TL_INSTANTIATE_OPTIM_LOOPS(double)

}  // namespace optim_avx2
}  // namespace tl
