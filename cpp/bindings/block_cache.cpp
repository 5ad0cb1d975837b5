// The large-block allocator and its bounded cache (see block_cache.h for why), and its Python view:
// block_cache_info(), block_cache_clear() and is_block_owner().
#include "bindings/block_cache.h"

#include <pybind11/pybind11.h>

#include <cstdlib>
#include <deque>
#include <limits>
#include <mutex>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TL_BLOCKS_MMAP 1
#endif

#include "bindings/module.h"

namespace tl::bindings {
namespace blocks {
namespace {

struct Cache {
    std::mutex mutex;
    std::deque<Block> free;  // oldest first
    std::size_t bytes = 0;
    std::uint64_t hits = 0, misses = 0;
    bool closed = false;  // after exit's clear: freed blocks are unmapped, not cached
};

void clear_at_exit();

// Never destroyed: a capsule may free its block during interpreter teardown, after static destructors.
Cache& cache() {
    static Cache* c = [] {
        auto* made = new Cache;
        std::atexit(clear_at_exit);
        return made;
    }();
    return *c;
}

void* map(std::size_t capacity) {
#ifdef TL_BLOCKS_MMAP
    // Map one granule more and cut both ends so that the block starts on a 2 MiB boundary: then every
    // page of it can be a huge page (a block on NumPy's 4 KiB-aligned malloc chunk loses its ends).
    const std::size_t span = capacity + kGranule;
    void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t begin = (start + kGranule - 1) & ~static_cast<std::uintptr_t>(kGranule - 1);
    if (begin > start) munmap(p, begin - start);
    const std::uintptr_t end = begin + capacity;
    if (start + span > end) munmap(reinterpret_cast<void*>(end), start + span - end);
#ifdef MADV_HUGEPAGE
    // NumPy's advice for its own arrays of >= 4 MB, kept: measured, huge pages make the first touch of
    // a new block cheaper (8 faults per 16 MB instead of 4096), and this machine never compacted for them.
    madvise(reinterpret_cast<void*>(begin), capacity, MADV_HUGEPAGE);
#endif
    return reinterpret_cast<void*>(begin);
#else
    return ::operator new(capacity, std::align_val_t{kGranule});
#endif
}

void unmap(const Block& b) {
#ifdef TL_BLOCKS_MMAP
    munmap(b.data, b.capacity);
#else
    ::operator delete(b.data, std::align_val_t{kGranule});
#endif
}

void drop_all(bool close) {
    std::deque<Block> dropped;
    {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        dropped.swap(c.free);
        c.bytes = 0;
        c.closed = c.closed || close;
    }
    for (const Block& b : dropped) unmap(b);
}

void clear_at_exit() { drop_all(true); }

}  // namespace

Block acquire(std::size_t bytes) {
    if (bytes == 0 || bytes > std::numeric_limits<std::size_t>::max() - 2 * kGranule) throw std::bad_alloc();
    const std::size_t capacity = (bytes + kGranule - 1) / kGranule * kGranule;
    {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        for (auto it = c.free.rbegin(); it != c.free.rend(); ++it) {  // the most recently freed first
            if (it->capacity != capacity) continue;
            const Block b = *it;
            c.free.erase(std::next(it).base());
            c.bytes -= b.capacity;
            ++c.hits;
            return b;
        }
        ++c.misses;
    }
    return Block{map(capacity), capacity};  // outside the lock: faults and syscalls block nobody
}

void release(Block block) noexcept {
    // Runs in the capsule's destructor (a C callback), so nothing may throw: a cache entry that cannot be
    // allocated means the block is unmapped instead, and evicted blocks are unmapped under the lock (a
    // syscall, no allocation).
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    bool cached = false;
    if (!c.closed && block.capacity <= kMaxCachedBytes) {
        try {
            c.free.push_back(block);
            cached = true;
        } catch (...) {
        }
    }
    if (!cached) {
        unmap(block);
        return;
    }
    c.bytes += block.capacity;
    while (c.free.size() > kMaxCachedBlocks || c.bytes > kMaxCachedBytes) {
        unmap(c.free.front());
        c.bytes -= c.free.front().capacity;
        c.free.pop_front();
    }
}

Stats stats() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    return Stats{c.free.size(), c.bytes, c.hits, c.misses};
}

void clear() { drop_all(false); }

}  // namespace blocks

void register_block_cache(pybind11::module_& m) {
    namespace py = pybind11;
    m.def(
        "block_cache_info",
        [] {
            const blocks::Stats s = blocks::stats();
            py::dict d;
            d["blocks"] = s.blocks;
            d["bytes"] = s.bytes;
            d["hits"] = s.hits;
            d["misses"] = s.misses;
            d["max_blocks"] = blocks::kMaxCachedBlocks;
            d["max_bytes"] = blocks::kMaxCachedBytes;
            d["min_bytes"] = blocks::kMinBytes;
            d["granule"] = blocks::kGranule;
            return d;
        },
        "The cache of freed large output blocks: blocks and bytes held now, hits and misses so far, and "
        "its bounds (max_blocks, max_bytes), the smallest output it serves (min_bytes) and the rounding "
        "of capacities (granule).");
    m.def(
        "is_block_owner", [](py::handle obj) { return PyCapsule_IsValid(obj.ptr(), blocks::kCapsuleName) != 0; },
        py::arg("obj"),
        "Whether obj is the capsule that owns a tensorlite block for one array (that array's .base); no "
        "other object holds it, since NumPy views of the array take the array as their base.");
    m.def("block_cache_clear", &blocks::clear,
          "Return every cached free block to the system (blocks of live arrays are untouched).");
}

}  // namespace tl::bindings
