// CPU-feature dispatch, shared by every kernel family that is compiled once per instruction set (GEMM,
// the fused optimizer updates, the batch-norm loops): the CPU is asked once, TENSORLITE_ISA is read once, and each family
// picks its build through one IsaDispatch.
//
// Instruction sets are ordered, each including the ones before it: generic < avx2 (AVX2 + FMA) < avx512
// (AVX-512F). TENSORLITE_ISA=generic|avx2|avx512 is the highest set any kernel may use, as if the CPU had
// no more; a family runs its best build at or below isa_limit(). An unknown name, or a set this CPU
// lacks, is reported once on stderr and ignored (a bad variable must not make `import tensorlite` fail).
#pragma once
#include <array>
#include <atomic>
#include <string>
#include <vector>

namespace tl {

enum class IsaLevel : int { generic = 0, avx2 = 1, avx512 = 2 };
constexpr int kIsaCount = 3;

// "generic", "avx2" or "avx512".
const char* isa_name(IsaLevel isa);
// The best instruction set this CPU supports (CPUID).
IsaLevel cpu_isa();
// The highest instruction set kernels may use: cpu_isa(), lowered by TENSORLITE_ISA.
IsaLevel isa_limit();

// Which builds of one kernel family this binary holds, and which one runs. `setter` names the
// Python-facing switch (e.g. "set_gemm_isa") in error messages.
class IsaSelector {
public:
    IsaSelector(const char* setter, std::array<bool, kIsaCount> built);
    IsaLevel active() const { return static_cast<IsaLevel>(active_.load(std::memory_order_relaxed)); }
    // The builds that may run here (built, and within isa_limit()), best first; "generic" always.
    std::vector<std::string> available() const;
    // Switches the build; std::invalid_argument naming the choices when `name` is unknown or unavailable.
    void set(const std::string& name);

private:
    bool runnable(IsaLevel isa) const;
    const char* setter_;
    std::array<bool, kIsaCount> built_;
    std::atomic<int> active_;
};

// A kernel family's per-ISA tables (a struct of function pointers each build exports), indexed by IsaLevel;
// nullptr where this binary lacks the build. The generic table must be present.
template <typename Table>
class IsaDispatch : public IsaSelector {
public:
    IsaDispatch(const char* setter, std::array<const Table*, kIsaCount> tables)
        : IsaSelector(setter, {tables[0] != nullptr, tables[1] != nullptr, tables[2] != nullptr}),
          tables_(tables) {}
    const Table& table() const { return *tables_[static_cast<int>(active())]; }

private:
    std::array<const Table*, kIsaCount> tables_;
};

}  // namespace tl
