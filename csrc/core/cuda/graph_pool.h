// What a CUDA graph capture asks of the caching allocator (allocator.cpp; Note [Capturing a step],
// graph.cpp): a pool of blocks that only the graph's capture allocates from and that stays out of
// everyone else's reach while a graph may replay into it.
#pragma once
#include <cstdint>

namespace ember::cuda {

// Takes a hold on graph pool `pool` of device `index` (0: a new pool) and returns its id.
int64_t hold_graph_pool(int index, int64_t pool);
// Lets go of a hold; with the last one the pool's free blocks join the stream's free lists.
void release_graph_pool(int index, int64_t pool);
// Allocations on device `index` come from `pool` from now on (0: from the stream's lists again).
void set_capture_pool(int index, int64_t pool);

}  // namespace ember::cuda
