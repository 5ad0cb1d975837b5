// The fused optimizer loops (formulas in optim.h), written once and compiled once per instruction set:
// each build's unit includes this file inside its namespace tl::optim_impl::<isa> (optim_isa.h), after
// optim_isa.h, and gets that namespace's table(). It therefore has no include guard and includes nothing.
//
// The hot loops take every pointer and scalar by value (restrict-qualified) so that the compiler
// vectorizes them; the *_step functions turn runtime options into template flags and call one.

// Calls f(std::bool_constant<a>{}) so that a is a compile-time flag in the loop f runs.
template <typename F>
void with_flag(bool a, F&& f) {
    if (a) f(std::true_type{});
    else f(std::false_type{});
}

template <typename F>
void with_flags(bool a, bool b, F&& f) {
    with_flag(a, [&](auto x) { with_flag(b, [&](auto y) { f(x, y); }); });
}

// The gradient the update uses: sign * grad (sign = -1 when maximizing) plus the L2 term.
template <bool kDecay, typename T>
inline T effective_grad(T grad, T param, T sign, T weight_decay) {
    const T g = sign * grad;
    return kDecay ? g + weight_decay * param : g;
}

// avg := decay * avg + (1 - decay) * g^2, the running mean of squared gradients (Adam, RMSprop,
// Adadelta); returns the new avg.
template <typename T>
inline T update_mean_of_squares(T& avg, T g, T decay) {
    avg = decay * avg + (T(1) - decay) * g * g;
    return avg;
}

template <bool kDecay, bool kBuffered, bool kNesterov, typename T>
void sgd_loop(T* __restrict param, const T* __restrict grad, T* __restrict buf, int64_t n, T lr, T mu, T buf_mu,
              T keep, T wd, T sign) {
#pragma omp parallel for simd schedule(static) if (parallel : n > kOptimParallelMin)
    for (int64_t i = 0; i < n; ++i) {
        const T g = effective_grad<kDecay>(grad[i], param[i], sign, wd);
        T d = g;
        if constexpr (kBuffered) {
            const T b = buf_mu * buf[i] + keep * g;
            buf[i] = b;
            d = kNesterov ? g + mu * b : b;
        }
        param[i] -= lr * d;
    }
}

// The first step stores b = g: the buffer is freshly zeroed then, so b = 0 * 0 + 1 * g is exact and
// the loop needs no per-element branch.
template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buf, int64_t n, const SgdHyper& h) {
    const T buf_mu = h.first_step ? T(0) : T(h.momentum), keep = h.first_step ? T(1) : T(1.0 - h.dampening);
    with_flags(h.weight_decay != 0.0, momentum_buf != nullptr, [&](auto decay, auto buffered) {
        with_flag(h.nesterov, [&](auto nesterov) {
            sgd_loop<decltype(decay)::value, decltype(buffered)::value, decltype(nesterov)::value>(
                param, grad, momentum_buf, n, T(h.lr), T(h.momentum), buf_mu, keep, T(h.weight_decay),
                h.maximize ? T(-1) : T(1));
        });
    });
}

template <typename T>
void momentum_loop(T* __restrict param, const T* __restrict grad, T* __restrict velocity, int64_t n, T lr,
                   T mu) {
#pragma omp parallel for simd schedule(static) if (parallel : n > kOptimParallelMin)
    for (int64_t i = 0; i < n; ++i) {
        const T v = mu * velocity[i] - lr * grad[i];
        velocity[i] = v;
        param[i] += v;
    }
}

template <typename T>
void momentum_step(T* param, const T* grad, T* velocity, int64_t n, const MomentumHyper& h) {
    momentum_loop(param, grad, velocity, n, T(h.lr), T(h.mu));
}

template <bool kDecay, typename T>
void adagrad_loop(T* __restrict param, const T* __restrict grad, T* __restrict sum, int64_t n, T clr, T wd, T eps,
                  T sign) {
#pragma omp parallel for simd schedule(static) if (parallel : n > kOptimParallelMin)
    for (int64_t i = 0; i < n; ++i) {
        const T g = effective_grad<kDecay>(grad[i], param[i], sign, wd);
        const T s = sum[i] + g * g;
        sum[i] = s;
        param[i] -= clr * g / (std::sqrt(s) + eps);
    }
}

template <typename T>
void adagrad_step(T* param, const T* grad, T* sum, int64_t n, const AdagradHyper& h) {
    with_flag(h.weight_decay != 0.0, [&](auto decay) {
        adagrad_loop<decltype(decay)::value>(param, grad, sum, n, T(h.clr), T(h.weight_decay), T(h.eps),
                                             h.maximize ? T(-1) : T(1));
    });
}

template <bool kDecay, bool kCentered, bool kMomentum, typename T>
void rmsprop_loop(T* __restrict param, const T* __restrict grad, T* __restrict square_avg, T* __restrict grad_avg,
                  T* __restrict buf, int64_t n, T lr, T alpha, T eps, T wd, T mu, T sign) {
    const T one_minus_alpha = T(1) - alpha;
#pragma omp parallel for simd schedule(static) if (parallel : n > kOptimParallelMin)
    for (int64_t i = 0; i < n; ++i) {
        const T g = effective_grad<kDecay>(grad[i], param[i], sign, wd);
        const T a = update_mean_of_squares(square_avg[i], g, alpha);
        T d;
        if constexpr (kCentered) {
            const T ga = alpha * grad_avg[i] + one_minus_alpha * g;
            grad_avg[i] = ga;
            d = std::sqrt(a - ga * ga) + eps;
        } else {
            d = std::sqrt(a) + eps;
        }
        if constexpr (kMomentum) {
            const T b = mu * buf[i] + g / d;
            buf[i] = b;
            param[i] -= lr * b;
        } else {
            param[i] -= lr * g / d;
        }
    }
}

template <typename T>
void rmsprop_step(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buf, int64_t n,
                  const RmspropHyper& h) {
    with_flags(grad_avg != nullptr, momentum_buf != nullptr, [&](auto centered, auto momentum) {
        with_flag(h.weight_decay != 0.0, [&](auto decay) {
            rmsprop_loop<decltype(decay)::value, decltype(centered)::value, decltype(momentum)::value>(
                param, grad, square_avg, grad_avg, momentum_buf, n, T(h.lr), T(h.alpha), T(h.eps),
                T(h.weight_decay), T(h.momentum), h.maximize ? T(-1) : T(1));
        });
    });
}

template <bool kDecay, bool kAmsgrad, typename T>
void adam_loop(T* __restrict param, const T* __restrict grad, T* __restrict exp_avg, T* __restrict exp_avg_sq,
               T* __restrict max_exp_avg_sq, int64_t n, T beta1, T beta2, T eps, T wd, T param_decay, T step_size,
               T inv_bc2_sqrt, T grad_coef, T sign) {
    const T one_minus_beta1 = T(1) - beta1;
#pragma omp parallel for simd schedule(static) if (parallel : n > kOptimParallelMin)
    for (int64_t i = 0; i < n; ++i) {
        const T p = param[i];
        const T g = effective_grad<kDecay>(grad[i], p, sign, wd);
        const T m = beta1 * exp_avg[i] + one_minus_beta1 * g;
        exp_avg[i] = m;
        T v = update_mean_of_squares(exp_avg_sq[i], g, beta2);
        if constexpr (kAmsgrad) {
            v = max_exp_avg_sq[i] > v ? max_exp_avg_sq[i] : v;
            max_exp_avg_sq[i] = v;
        }
        const T d = std::sqrt(v) * inv_bc2_sqrt + eps;
        param[i] = p * param_decay - (step_size * m + grad_coef * g) / d;
    }
}

template <typename T>
void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
               const AdamHyper& h) {
    with_flags(h.weight_decay != 0.0, max_exp_avg_sq != nullptr, [&](auto decay, auto amsgrad) {
        adam_loop<decltype(decay)::value, decltype(amsgrad)::value>(
            param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, T(h.beta1), T(h.beta2), T(h.eps),
            T(h.weight_decay), T(h.param_decay), T(h.step_size), T(1.0 / h.bc2_sqrt), T(h.grad_coef),
            h.maximize ? T(-1) : T(1));
    });
}

template <bool kDecay, typename T>
void adadelta_loop(T* __restrict param, const T* __restrict grad, T* __restrict square_avg,
                   T* __restrict acc_delta, int64_t n, T lr, T rho, T eps, T wd, T sign) {
#pragma omp parallel for simd schedule(static) if (parallel : n > kOptimParallelMin)
    for (int64_t i = 0; i < n; ++i) {
        const T g = effective_grad<kDecay>(grad[i], param[i], sign, wd);
        const T a = update_mean_of_squares(square_avg[i], g, rho);
        const T u = std::sqrt(acc_delta[i] + eps) / std::sqrt(a + eps) * g;
        update_mean_of_squares(acc_delta[i], u, rho);
        param[i] -= lr * u;
    }
}

template <typename T>
void adadelta_step(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n, const AdadeltaHyper& h) {
    with_flag(h.weight_decay != 0.0, [&](auto decay) {
        adadelta_loop<decltype(decay)::value>(param, grad, square_avg, acc_delta, n, T(h.lr), T(h.rho), T(h.eps),
                                              T(h.weight_decay), h.maximize ? T(-1) : T(1));
    });
}

// This build's table (optim_isa.h): the OptimKernels members, in declaration order, point at the
// *_step templates above, so a signature that drifts from optim.h fails to compile.
template <typename T>
constexpr OptimKernels<T> kernels() {
    return {&sgd_step<T>,     &momentum_step<T>, &adagrad_step<T>,
            &rmsprop_step<T>, &adam_step<T>,     &adadelta_step<T>};
}

constexpr Table kTable{kernels<float>(), kernels<double>()};

const Table* table() { return &kTable; }
