// Fused optimizer updates: one pass over n contiguous values of a parameter, its gradient and its
// state buffers, reading each once and writing param and state once. Scalars that depend on the step
// count (bias corrections, decayed learning rates) are computed by the caller and passed in.
// Everything is elementwise, so results do not depend on the thread count.
//
//   g = maximize ? -grad : grad, then g += weight_decay * p (L2 penalty) where a kernel has weight_decay.
//
//   sgd:      b = first ? g : momentum * b + (1 - dampening) * g;  d = nesterov ? g + momentum * b : b
//             (d = g when momentum_buf is null);  p -= lr * d
//   momentum: v = mu * v - lr * grad;  p += v
//   adagrad:  s += g^2;  p -= clr * g / (sqrt(s) + eps)
//   rmsprop:  a = alpha * a + (1 - alpha) * g^2;  ga = alpha * ga + (1 - alpha) * g (centered)
//             d = sqrt(a - ga^2) + eps (centered) or sqrt(a) + eps
//             b = momentum * b + g / d, p -= lr * b (momentum_buf) or p -= lr * g / d
//   adam:     p *= param_decay (decoupled decay, AdamW);  m = beta1 * m + (1 - beta1) * g
//             v = beta2 * v + (1 - beta2) * g^2;  vmax = max(vmax, v) (amsgrad, then v := vmax)
//             d = sqrt(v) / bc2_sqrt + eps;  p -= (step_size * m + grad_coef * g) / d
//             (grad_coef = 0 for Adam; Nadam's momentum-cached update puts lr*(1-mu_t)/(1-prod mu) there)
//   adadelta: a = rho * a + (1 - rho) * g^2;  u = sqrt(acc + eps) / sqrt(a + eps) * g
//             acc = rho * acc + (1 - rho) * u^2;  p -= lr * u
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tl {

struct SgdHyper {
    double lr, momentum, dampening, weight_decay;
    bool nesterov, maximize, first_step;
};

struct MomentumHyper {
    double lr, mu;
};

struct AdagradHyper {
    double clr, weight_decay, eps;
    bool maximize;
};

struct RmspropHyper {
    double lr, alpha, eps, weight_decay, momentum;
    bool maximize;
};

struct AdamHyper {
    double beta1, beta2, eps, weight_decay, param_decay, step_size, bc2_sqrt, grad_coef;
    bool maximize;
};

struct AdadeltaHyper {
    double lr, rho, eps, weight_decay;
    bool maximize;
};

// The fused updates of one scalar type, each declared once here: every instruction-set build
// (optim_isa.h) fills this table from the one set of loops in optim_loops.h.
template <typename T>
struct OptimKernels {
    // momentum_buf may be null (plain SGD); on the first step (first_step) it must hold zeros.
    void (*sgd)(T* param, const T* grad, T* momentum_buf, int64_t n, const SgdHyper& h);
    void (*momentum)(T* param, const T* grad, T* velocity, int64_t n, const MomentumHyper& h);
    void (*adagrad)(T* param, const T* grad, T* sum, int64_t n, const AdagradHyper& h);
    // grad_avg (centered) and momentum_buf (momentum > 0) may be null.
    void (*rmsprop)(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buf, int64_t n,
                    const RmspropHyper& h);
    // max_exp_avg_sq (amsgrad) may be null.
    void (*adam)(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
                 const AdamHyper& h);
    void (*adadelta)(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n, const AdadeltaHyper& h);
};

// The updates of the active build: the best of avx2, generic this binary holds and this CPU runs, at
// most TENSORLITE_ISA (cpu_features.h); set_optim_isa switches (std::invalid_argument when
// `name` is unknown or not available here).
template <typename T>
const OptimKernels<T>& optim_kernels();
std::string optim_isa();
std::vector<std::string> optim_available_isas();
void set_optim_isa(const std::string& name);

// Partial gradient-norm reduction over several arrays of one dtype, accumulated in double:
// the sum of |x|^norm_type (norm_type finite, 2 and 1 special-cased) or, for norm_type = inf, the
// maximum of |x|. NaN anywhere makes the result NaN.
template <typename T>
double grad_norm_partial(const T* const* arrays, const int64_t* sizes, int64_t count, double norm_type);

}  // namespace tl
