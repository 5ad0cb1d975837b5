// CPUID detection, the one reading of TENSORLITE_ISA, and the per-family build selection.
#include "kernels/cpu_features.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace tl {
namespace {

constexpr const char* kNames[kIsaCount] = {"generic", "avx2", "avx512"};

bool parse_isa(const std::string& name, IsaLevel& out) {
    for (int i = 0; i < kIsaCount; ++i)
        if (name == kNames[i]) {
            out = static_cast<IsaLevel>(i);
            return true;
        }
    return false;
}

IsaLevel detect() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return IsaLevel::avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return IsaLevel::avx2;
#endif
    return IsaLevel::generic;
}

IsaLevel read_limit() {
    const IsaLevel cpu = cpu_isa();
    const char* env = std::getenv("TENSORLITE_ISA");
    if (!env || !*env) return cpu;
    IsaLevel wanted;
    if (!parse_isa(env, wanted)) {
        std::fprintf(stderr, "tensorlite: TENSORLITE_ISA=%s is not an instruction set (%s, %s, %s); "
                     "using %s\n", env, kNames[0], kNames[1], kNames[2], isa_name(cpu));
        return cpu;
    }
    if (wanted > cpu) {
        std::fprintf(stderr, "tensorlite: TENSORLITE_ISA=%s is not available on this CPU; using %s\n", env,
                     isa_name(cpu));
        return cpu;
    }
    return wanted;
}

}  // namespace

const char* isa_name(IsaLevel isa) { return kNames[static_cast<int>(isa)]; }

IsaLevel cpu_isa() {
    static const IsaLevel isa = detect();
    return isa;
}

IsaLevel isa_limit() {
    static const IsaLevel limit = read_limit();
    return limit;
}

IsaSelector::IsaSelector(const char* setter, std::array<bool, kIsaCount> built)
    : setter_(setter), built_(built), active_(0) {
    for (int i = static_cast<int>(isa_limit()); i > 0; --i)
        if (runnable(static_cast<IsaLevel>(i))) {
            active_.store(i);
            break;
        }
}

bool IsaSelector::runnable(IsaLevel isa) const { return built_[static_cast<int>(isa)] && isa <= isa_limit(); }

std::vector<std::string> IsaSelector::available() const {
    std::vector<std::string> names;
    for (int i = kIsaCount - 1; i >= 0; --i)
        if (runnable(static_cast<IsaLevel>(i))) names.push_back(kNames[i]);
    return names;
}

void IsaSelector::set(const std::string& name) {
    std::string choices;
    for (const std::string& s : available()) choices += (choices.empty() ? "" : ", ") + s;
    IsaLevel isa;
    if (!parse_isa(name, isa))
        throw std::invalid_argument(std::string(setter_) + ": unknown instruction set '" + name +
                                    "' (available: " + choices + ")");
    if (!runnable(isa))
        throw std::invalid_argument(std::string(setter_) + ": '" + name +
                                    "' is not available on this CPU/build or above TENSORLITE_ISA " +
                                    "(available: " + choices + ")");
    active_.store(static_cast<int>(isa));
}

}  // namespace tl
