// The batch-norm loops (batchnorm_loops.h) built for the baseline instruction set of the target. Runs
// everywhere.
#include "kernels/batchnorm_isa.h"

namespace tl::batchnorm_impl::generic {
#include "kernels/batchnorm_loops.h"
}  // namespace tl::batchnorm_impl::generic
