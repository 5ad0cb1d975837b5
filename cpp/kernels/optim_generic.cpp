// The fused optimizer loops (optim_loops.h) built for the baseline instruction set of the target, with
// -fno-math-errno (CMakeLists.txt) so that sqrt vectorizes. Runs everywhere.
#include "kernels/optim_isa.h"

namespace tl::optim_impl::generic {
#include "kernels/optim_loops.h"
}  // namespace tl::optim_impl::generic
