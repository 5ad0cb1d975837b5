// Portable GEMM kernels in plain C++ (no intrinsics; any compiler and CPU, aarch64 included):
// C := beta*C + alpha*A*B on 4x8 register tiles of packed panels, plus packing and GEMV primitives
// (layouts in gemm_isa.h). The compiler vectorizes the tile for the baseline ISA of the target.
#include "kernels/gemm_isa.h"
#include "kernels/gemm_microkernel.h"

namespace tl {
namespace gemm_impl {
namespace {

template <typename Scalar>
struct Scalar1 {
    using T = Scalar;
    using V = Scalar;
    static constexpr int W = 1;
    static V zero() { return V(0); }
    static V set1(T x) { return x; }
    static V load(const T* p) { return *p; }
    static void store(T* p, V v) { *p = v; }
    static V fma(V a, V b, V c) { return a * b + c; }
    static T fma1(T x, T y, T z) { return x * y + z; }
    static V mul(V a, V b) { return a * b; }
    static V add(V a, V b) { return a + b; }
    static void store_part(T* p, V v, int64_t n) {
        if (n > 0) *p = v;
    }
    static V load_part(const T* p, int64_t n) { return n > 0 ? *p : V(0); }
    static T reduce(V v) { return v; }
    static void transpose(V (&)[1]) {}
};

constexpr Isa kGeneric = {"generic", make_kernels<Scalar1<float>, 4, 8, 128, 256, 4096>(),
                      make_kernels<Scalar1<double>, 4, 8, 64, 256, 4096>()};

}  // namespace

const Isa* generic_kernels() { return &kGeneric; }

}  // namespace gemm_impl
}  // namespace tl
