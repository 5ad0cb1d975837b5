// The tuning switch, the process-wide cache of choices, and the timing of candidates (autotune.h).
#include "kernels/autotune.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <unordered_map>
#include <mutex>

namespace tl::autotune {
namespace {

// A candidate whose first timed run is within this factor of the best one runs again: the first run of a
// candidate can be slowed by its own cold start (packing buffers, caches), and a close race deserves a
// second look, while a clearly slower one (often the generic kernels, 5-10x) is not worth its time twice.
constexpr double kRerunRatio = 1.3;
// A run this short reruns whatever its time: its first run may be mostly the cold start of code not run
// before (measured: a 16x32x32 product took 10 us on its first run by a kernel variant, 0.4 us after).
constexpr double kAlwaysRerunSeconds = 1e-3;

std::atomic<bool>& switch_slot() {
    static std::atomic<bool> on{false};
    return on;
}

struct Cache {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
};

Cache& cache() {
    static Cache c;
    return c;
}

double seconds_of(const std::function<void(size_t)>& run, size_t i) {
    const auto start = std::chrono::steady_clock::now();
    run(i);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

bool enabled() { return switch_slot().load(std::memory_order_relaxed); }

void set_enabled(bool on) { switch_slot().store(on); }

std::string key_of(const Entry& e) {
    // Raw bytes rather than text: a lookup runs on every tuned call, and the names follow from the op.
    std::string key = e.op;
    key.reserve(e.op.size() + e.dtype.size() + 2 + 8 * (e.sizes.size() + 1));
    key += '|';
    key += e.dtype;
    key += '|';
    auto append = [&key](int64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
    for (const auto& kv : e.sizes) append(kv.second);
    append(e.threads);
    return key;
}

bool lookup(Entry& e) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    const auto it = c.entries.find(key_of(e));
    if (it == c.entries.end()) return false;
    e.algorithm = it->second.algorithm;
    e.kernel = it->second.kernel;
    return true;
}

void store(const Entry& e) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.entries[key_of(e)] = e;
}

std::vector<Entry> entries() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    std::vector<Entry> out;
    for (const auto& kv : c.entries) out.push_back(kv.second);
    return out;
}

void clear() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.entries.clear();
}

size_t measure(size_t count, const std::function<void(size_t)>& run, const std::function<void()>& restore,
               std::vector<double>& seconds) {
    seconds.assign(count, 0.0);
    for (size_t i = 0; i < count; ++i) {
        if (i > 0 && restore) restore();
        seconds[i] = seconds_of(run, i);
    }
    const double first_best = *std::min_element(seconds.begin(), seconds.end());
    for (size_t i = 0; i < count; ++i) {
        const bool close =
            i == 0 || seconds[i] <= kRerunRatio * first_best || seconds[i] < kAlwaysRerunSeconds;
        if (count == 1 || !close) continue;
        if (restore) restore();
        seconds[i] = std::min(seconds[i], seconds_of(run, i));
    }
    return static_cast<size_t>(std::min_element(seconds.begin(), seconds.end()) - seconds.begin());
}

}  // namespace tl::autotune
