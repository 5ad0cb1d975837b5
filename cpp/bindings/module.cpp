// The one pybind11 module, tensorlite._C: each area's functions are defined in its own file in
// cpp/bindings/ (the steps every binding runs are in common.h); src/tensorlite/_C.pyi lists them typed.
#include <pybind11/pybind11.h>

#include "bindings/module.h"

PYBIND11_MODULE(_C, m) {
    m.doc() = "tensorlite C++ kernels: GEMM, convolution and pooling, normalization and activations, "
              "fused optimizer updates, recurrent cells, grid sampling, the runtime (threads, ISA), and the "
              "measured kernel choice.";
    tl::bindings::register_gemm(m);
    tl::bindings::register_norm_activation(m);
    tl::bindings::register_conv_pool(m);
    tl::bindings::register_optim(m);
    tl::bindings::register_rnn(m);
    tl::bindings::register_sample(m);
    tl::bindings::register_runtime(m);
    tl::bindings::register_autotune(m);
    tl::bindings::register_block_cache(m);
}
