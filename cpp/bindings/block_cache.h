// tensorlite's own memory for large kernel outputs, and a small bounded cache of recently freed blocks.
//
// Why: a training step allocates its large outputs anew (batch norm's y and dx, a convolution's y, ...)
// and frees them before the next step. Allocated by NumPy through glibc, a freed 16 MB block goes back
// to the kernel (munmap, or a heap trim), so the next step faults in and zeroes the same amount of fresh
// memory again: on a 2-core Xeon that was 1014 page faults and about 7 of 10 ms of a (64, 64, 32, 32)
// batch-norm forward + backward. Blocks from here are mapped whole (2 MiB aligned, in whole 2 MiB huge
// pages, with the same huge-page advice NumPy gives its own arrays of this size), and a freed block is
// kept for reuse by the next output of the same rounded size, within fixed bounds.
//
// A block enters the cache only when the NumPy array that owns it is deallocated (its base capsule's
// destructor), i.e. when no array or view refers to it any more; it leaves the cache by being handed
// out (to one array only), by eviction (oldest first) or by clear(). Thread-safe (one mutex); the cache
// is emptied at exit.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tl::bindings::blocks {

// Outputs of at least this many bytes use these blocks (NumPy's own threshold for huge-page advice);
// smaller ones stay with NumPy's allocator, which reuses them well.
constexpr std::size_t kMinBytes = std::size_t{4} << 20;
// Capacities are whole multiples of this (a huge page), and blocks are aligned to it.
constexpr std::size_t kGranule = std::size_t{2} << 20;
// The cache's bounds: at most this many freed blocks, holding at most this many bytes.
constexpr std::size_t kMaxCachedBlocks = 8;
constexpr std::size_t kMaxCachedBytes = std::size_t{256} << 20;

// The name of the capsule that owns a block on behalf of its one array (the array's base): Python asks
// is_block_owner(array.base) to know that memory belongs to that array alone.
constexpr const char* kCapsuleName = "tensorlite.block";

struct Block {
    void* data;
    std::size_t capacity;
};

// A block of at least `bytes` (>= 1) bytes: a cached one of the same rounded capacity, else a new one.
// Throws std::bad_alloc when the system has no memory (or the size cannot be rounded).
Block acquire(std::size_t bytes);

// Gives a block back: cached (evicting the oldest beyond the bounds) or unmapped. Never throws.
void release(Block block) noexcept;

struct Stats {
    std::size_t blocks, bytes;  // now in the cache
    std::uint64_t hits, misses;  // acquire() calls served from the cache / by a new mapping
};
Stats stats();

// Unmaps every cached block (blocks in use are untouched and are cached again when freed).
void clear();

}  // namespace tl::bindings::blocks
