// Bindings of the fused optimizer updates (cpp/kernels/optim.h), their instruction-set switch and the
// gradient norm. Every update takes keyword arguments only. It checks every array (the parameter's
// dtype and shape, C-contiguous, writeable except the gradient) before releasing the GIL; the kernel
// then updates the parameter and its state in place.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "bindings/common.h"
#include "bindings/module.h"
#include "kernels/optim.h"

namespace tl::bindings {
namespace {

using OptionalArray = std::optional<py::array>;

// A state buffer argument of an update: its name for messages and the array, or none where an
// optional buffer's option is off (the kernel then gets nullptr).
struct State {
    State(const char* n, const py::array& a) : name(n), array(&a) {}
    State(const char* n, const OptionalArray& a) : name(n), array(a ? &*a : nullptr) {}
    const char* name;
    const py::array* array;
};

// The pointer to `a` after checking it against the parameter: dtype T, the same shape, C-contiguous,
// and writeable unless it is only read.
template <typename T>
T* checked(const char* op, const char* name, const py::array& a, const py::array& param, bool writeable) {
    require_dtype<T>(op, name, a);
    bool same = a.ndim() == param.ndim();
    for (py::ssize_t i = 0; same && i < a.ndim(); ++i) same = a.shape(i) == param.shape(i);
    if (!same)
        throw py::value_error(std::string(op) + ": " + name + " has shape " + shape_str(a) +
                              " but the parameter has shape " + shape_str(param));
    if (!(a.flags() & py::array::c_style))
        throw py::value_error(std::string(op) + ": " + name + " must be C-contiguous");
    if (writeable && !a.writeable()) throw py::value_error(std::string(op) + ": " + name + " is read-only");
    return static_cast<T*>(const_cast<void*>(a.data()));
}

// Checks every array, then runs kernel(param, grad, states..., n, h) without the GIL, with kernel =
// select(optim_kernels<T>()) for the parameter's scalar type T.
template <typename Hyper, typename Select, typename... States>
void fused_update(const char* op, const py::array& param, const py::array& grad, const Hyper& h,
                  Select select, const States&... states) {
    dispatch_float(op, param, [&](auto t) {
        using T = decltype(t);
        T* p = checked<T>(op, "param", param, param, true);
        const T* g = checked<T>(op, "grad", grad, param, false);
        // A braced list is evaluated in order, so every check runs before the GIL is released.
        const std::array<T*, sizeof...(States)> buffers{
            (states.array ? checked<T>(op, states.name, *states.array, param, true) : nullptr)...};
        const auto kernel = select(optim_kernels<T>());
        const auto n = static_cast<int64_t>(param.size());
        with_gil_released([&] { std::apply([&](auto*... b) { kernel(p, g, b..., n, h); }, buffers); });
    });
}

void sgd_step(py::array param, py::array grad, double lr, OptionalArray momentum_buffer, double momentum,
              double dampening, double weight_decay, bool nesterov, bool maximize, bool first_step) {
    fused_update("sgd_step", param, grad, SgdHyper{lr, momentum, dampening, weight_decay, nesterov, maximize,
                                                   first_step},
                 [](const auto& k) { return k.sgd; }, State{"momentum_buffer", momentum_buffer});
}

void momentum_step(py::array param, py::array grad, py::array velocity, double lr, double mu) {
    fused_update("momentum_step", param, grad, MomentumHyper{lr, mu},
                 [](const auto& k) { return k.momentum; }, State{"velocity", velocity});
}

void adagrad_step(py::array param, py::array grad, py::array sum, double clr, double eps, double weight_decay,
                  bool maximize) {
    fused_update("adagrad_step", param, grad, AdagradHyper{clr, weight_decay, eps, maximize},
                 [](const auto& k) { return k.adagrad; }, State{"sum", sum});
}

void rmsprop_step(py::array param, py::array grad, py::array square_avg, double lr, double alpha, double eps,
                  OptionalArray grad_avg, OptionalArray momentum_buffer, double momentum, double weight_decay,
                  bool maximize) {
    fused_update("rmsprop_step", param, grad, RmspropHyper{lr, alpha, eps, weight_decay, momentum, maximize},
                 [](const auto& k) { return k.rmsprop; }, State{"square_avg", square_avg},
                 State{"grad_avg", grad_avg}, State{"momentum_buffer", momentum_buffer});
}

void adam_step(py::array param, py::array grad, py::array exp_avg, py::array exp_avg_sq, double beta1,
               double beta2, double eps, double step_size, double bc2_sqrt, OptionalArray max_exp_avg_sq,
               double weight_decay, double param_decay, double grad_coef, bool maximize) {
    if (!(bc2_sqrt > 0.0))
        throw py::value_error("adam_step: bc2_sqrt must be > 0, got " + std::to_string(bc2_sqrt));
    const AdamHyper h{beta1, beta2, eps, weight_decay, param_decay, step_size, bc2_sqrt, grad_coef, maximize};
    fused_update("adam_step", param, grad, h, [](const auto& k) { return k.adam; }, State{"exp_avg", exp_avg},
                 State{"exp_avg_sq", exp_avg_sq}, State{"max_exp_avg_sq", max_exp_avg_sq});
}

void adadelta_step(py::array param, py::array grad, py::array square_avg, py::array acc_delta, double lr,
                   double rho, double eps, double weight_decay, bool maximize) {
    fused_update("adadelta_step", param, grad, AdadeltaHyper{lr, rho, eps, weight_decay, maximize},
                 [](const auto& k) { return k.adadelta; }, State{"square_avg", square_avg},
                 State{"acc_delta", acc_delta});
}

// The norm of all arrays together, as if concatenated: one reduction per dtype, combined here.
double grad_norm(const std::vector<py::array>& grads, double norm_type) {
    if (!(norm_type > 0.0))
        throw py::value_error("grad_norm: norm_type must be > 0 or inf, got " + std::to_string(norm_type));
    std::vector<py::array> keep_alive;
    std::vector<const float*> f32;
    std::vector<const double*> f64;
    std::vector<int64_t> n32, n64;
    for (const py::array& g : grads) {
        dispatch_float("grad_norm", g, [&](auto t) {
            using T = decltype(t);
            auto c = contiguous<T>(g);
            keep_alive.push_back(c);
            if constexpr (std::is_same_v<T, float>) {
                f32.push_back(c.data());
                n32.push_back(c.size());
            } else {
                f64.push_back(c.data());
                n64.push_back(c.size());
            }
        });
    }
    const auto [a, b] = with_gil_released([&] {
        return std::pair{grad_norm_partial<float>(f32.data(), n32.data(), f32.size(), norm_type),
                         grad_norm_partial<double>(f64.data(), n64.data(), f64.size(), norm_type)};
    });
    if (std::isinf(norm_type)) return std::isnan(a) || std::isnan(b) ? a + b : std::max(a, b);
    const double total = a + b;
    if (norm_type == 2.0) return std::sqrt(total);
    if (norm_type == 1.0) return total;
    return std::pow(total, 1.0 / norm_type);
}

}  // namespace

void register_optim(py::module_& m) {
    using py::arg;
    // Keyword arguments only: a long list of floats is easy to misorder. Defaults are the values that
    // turn an option off (no decay, no buffer, minimize).
    m.def("sgd_step", &sgd_step, py::kw_only(), arg("param"), arg("grad"), arg("lr"),
          arg("momentum_buffer") = py::none(), arg("momentum") = 0.0, arg("dampening") = 0.0,
          arg("weight_decay") = 0.0, arg("nesterov") = false, arg("maximize") = false,
          arg("first_step") = false, "Fused in-place SGD (momentum, Nesterov) update.");
    m.def("momentum_step", &momentum_step, py::kw_only(), arg("param"), arg("grad"), arg("velocity"),
          arg("lr"), arg("mu"), "Fused in-place classic momentum update: v = mu*v - lr*g; p += v.");
    m.def("adagrad_step", &adagrad_step, py::kw_only(), arg("param"), arg("grad"), arg("sum"), arg("clr"),
          arg("eps"), arg("weight_decay") = 0.0, arg("maximize") = false, "Fused in-place Adagrad update.");
    m.def("rmsprop_step", &rmsprop_step, py::kw_only(), arg("param"), arg("grad"), arg("square_avg"),
          arg("lr"), arg("alpha"), arg("eps"), arg("grad_avg") = py::none(),
          arg("momentum_buffer") = py::none(), arg("momentum") = 0.0, arg("weight_decay") = 0.0,
          arg("maximize") = false, "Fused in-place RMSprop (centered, momentum) update.");
    m.def("adam_step", &adam_step, py::kw_only(), arg("param"), arg("grad"), arg("exp_avg"),
          arg("exp_avg_sq"), arg("beta1"), arg("beta2"), arg("eps"), arg("step_size"), arg("bc2_sqrt"),
          arg("max_exp_avg_sq") = py::none(), arg("weight_decay") = 0.0, arg("param_decay") = 1.0,
          arg("grad_coef") = 0.0, arg("maximize") = false,
          "Fused in-place Adam / AdamW / AMSGrad / NAdam update (formula in cpp/kernels/optim.h).");
    m.def("adadelta_step", &adadelta_step, py::kw_only(), arg("param"), arg("grad"), arg("square_avg"),
          arg("acc_delta"), arg("lr"), arg("rho"), arg("eps"), arg("weight_decay") = 0.0,
          arg("maximize") = false, "Fused in-place Adadelta update.");
    m.def("optim_isa", &tl::optim_isa,
          "The instruction set of the fused optimizer kernels: avx2 or generic.");
    m.def("optim_available_isas", &tl::optim_available_isas,
          "The builds of the fused optimizer kernels this CPU can run (at most TENSORLITE_ISA), best first.");
    // std::invalid_argument reaches Python as ValueError.
    m.def("set_optim_isa", &tl::set_optim_isa, arg("name"),
          "Switch the fused optimizer kernels to build `name` (for tests and benchmarks).");
    m.def("grad_norm", &grad_norm, arg("grads"), arg("norm_type"),
          "The norm_type-norm of all arrays together (float64 accumulation; NaN if any value is NaN).");
}

}  // namespace tl::bindings
