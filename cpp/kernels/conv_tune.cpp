// conv2d_forward and conv2d_backward (conv.h): the algorithm by rule (conv2d_algorithm), or, with tuning on
// (autotune.h), the (algorithm, GEMM kernel variant) pair measured fastest for the configuration: on its
// first call every applicable algorithm runs under every variant (GemmKernelScope, so the inner GEMMs do
// not tune themselves), later calls run the winner under its variant.
//
// Tuning stays off where a choice is forced (set_conv2d_algorithm, set_gemm_kernel: forcing wins), inside
// a parallel region or a GemmKernelScope, and for empty work. Backward is tuned as one call, its choice
// the pair (dX's algorithm, dW's algorithm), named "dx+dw", and the variant of every GEMM in it. Its
// candidates are each of dX's algorithms with dW's rule choice and the rule's dX with each of dW's
// algorithms (not every pair: the first call would time up to 12 pairs per variant).
#include <string>
#include <utility>
#include <vector>

#include "kernels/autotune.h"
#include "kernels/conv.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernels/runtime.h"

namespace tl {
namespace {

bool conv_tunes(const ConvGeometry& g) {
    return autotune::enabled() && g.batch > 0 && g.out_channels > 0 && g.out_h > 0 && g.out_w > 0 &&
           g.in_channels > 0 && !in_parallel_region() && !GemmKernelScope::active() &&
           gemm_kernel() == "auto" && conv2d_algorithm_override() == "auto";
}

std::vector<std::pair<std::string, int64_t>> geometry_sizes(const ConvGeometry& g) {
    return {{"batch", g.batch},       {"in_channels", g.in_channels}, {"in_h", g.in_h},
            {"in_w", g.in_w},         {"out_channels", g.out_channels}, {"kernel_h", g.kernel_h},
            {"kernel_w", g.kernel_w}, {"stride_h", g.stride_h},       {"stride_w", g.stride_w},
            {"pad_h", g.pad_h},       {"pad_w", g.pad_w},             {"dilation_h", g.dilation_h},
            {"dilation_w", g.dilation_w}, {"groups", g.groups},       {"out_h", g.out_h},
            {"out_w", g.out_w}};
}

// Runs `run(choice)` (the whole pass, overwriting its outputs) by the measured (choice, kernel variant) pair
// of configuration `e` (op and sizes filled in), measuring every pair of `choices` x the kernel variants on
// this call when the configuration is new (or its cached choice cannot run here: a stale file). `name`
// gives a choice's name, stored as the entry's algorithm.
template <typename T, typename Choice, typename Name, typename Run>
void run_tuned(autotune::Entry e, const std::vector<Choice>& choices, const Name& name, const Run& run) {
    e.dtype = sizeof(T) == 8 ? "float64" : "float32";
    e.threads = get_num_threads();
    const std::vector<std::string> kernels = gemm_tuning_candidates();
    std::vector<std::pair<Choice, std::string>> pairs;
    for (const Choice& c : choices)
        for (const std::string& k : kernels) pairs.emplace_back(c, k);
    if (autotune::lookup(e)) {
        for (const auto& [c, k] : pairs) {
            if (name(c) == e.algorithm && k == e.kernel) {
                GemmKernelScope scope(k);
                return run(c);
            }
        }
    }
    std::vector<double> seconds;
    const size_t best = autotune::measure(
        pairs.size(),
        [&](size_t i) {
            GemmKernelScope scope(pairs[i].second);
            run(pairs[i].first);
        },
        {}, seconds);
    e.algorithm = name(pairs[best].first);
    e.kernel = pairs[best].second;
    for (size_t i = 0; i < pairs.size(); ++i)
        e.seconds.emplace_back(name(pairs[i].first) + "/" + pairs[i].second, seconds[i]);
    autotune::store(e);
}

// The backward pass's choice: dX's and dW's algorithms (each unused when its gradient is not wanted).
struct BackwardChoice {
    ConvAlgorithm dx, dw;
};

std::string backward_name(const BackwardChoice& c) {
    return std::string(conv_algorithm_name(c.dx)) + "+" + conv_algorithm_name(c.dw);
}

// The rule's pair first, then each other dX algorithm with the rule's dW and each other dW algorithm with the
// rule's dX (only the wanted gradients' alternatives).
std::vector<BackwardChoice> backward_candidates(const ConvGeometry& g, const BackwardChoice& rule, bool dx,
                                                bool dw) {
    std::vector<BackwardChoice> out = {rule};
    if (dx)
        for (const ConvAlgorithm a : conv2d_candidates(g, ConvPass::backward_data))
            if (a != rule.dx) out.push_back({a, rule.dw});
    if (dw)
        for (const ConvAlgorithm a : conv2d_candidates(g, ConvPass::backward_weight))
            if (a != rule.dw) out.push_back({rule.dx, a});
    return out;
}

}  // namespace

template <typename T>
void conv2d_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
    if (!conv_tunes(g)) return conv2d_forward_by(conv2d_algorithm(g, ConvPass::forward), x, w, bias, y, g);
    autotune::Entry e;
    e.op = "conv2d_forward";
    e.sizes = geometry_sizes(g);
    e.sizes.emplace_back("bias", bias != nullptr);
    run_tuned<T>(
        e, conv2d_candidates(g, ConvPass::forward),
        [](ConvAlgorithm a) { return std::string(conv_algorithm_name(a)); },
        [&](ConvAlgorithm a) { conv2d_forward_by(a, x, w, bias, y, g); });
}

template <typename T>
void conv2d_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const ConvGeometry& g) {
    const BackwardChoice rule{conv2d_algorithm(g, ConvPass::backward_data),
                              conv2d_algorithm(g, ConvPass::backward_weight)};
    if (!conv_tunes(g) || (!dx && !dw)) return conv2d_backward_by(rule.dx, rule.dw, x, w, dy, dx, dw, db, g);
    autotune::Entry e;
    e.op = "conv2d_backward";
    e.sizes = geometry_sizes(g);
    e.sizes.emplace_back("dx", dx != nullptr);
    e.sizes.emplace_back("dw", dw != nullptr);
    e.sizes.emplace_back("db", db != nullptr);
    run_tuned<T>(e, backward_candidates(g, rule, dx != nullptr, dw != nullptr), backward_name,
                 [&](const BackwardChoice& c) { conv2d_backward_by(c.dx, c.dw, x, w, dy, dx, dw, db, g); });
}

template void conv2d_forward<float>(const float*, const float*, const float*, float*, const ConvGeometry&);
template void conv2d_forward<double>(const double*, const double*, const double*, double*,
                                     const ConvGeometry&);
template void conv2d_backward<float>(const float*, const float*, const float*, float*, float*, float*,
                                     const ConvGeometry&);
template void conv2d_backward<double>(const double*, const double*, const double*, double*, double*, double*,
                                      const ConvGeometry&);

}  // namespace tl
