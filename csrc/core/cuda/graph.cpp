// CUDA graphs: capture the work ember queues on a device's stream once, replay it with one launch.
//
// Note [Capturing a step]
// A small model's training step is a few dozen kernels of a few microseconds each: the host's cost
// of queueing them (a launch is several microseconds of driver work) is the step's cost. A CUDA
// graph records the kernels of one step (cudaStreamBeginCapture ... cudaStreamEndCapture on ember's
// stream) and replays them all with one cudaGraphLaunch. A replay runs the same kernels with the
// same arguments, so it reads and writes the same addresses: inputs are copied into the tensors
// the capture read ("static inputs"), and the outputs are the tensors the capture wrote. Memory
// allocated during the capture comes from the graph's pool (Note [The caching allocator]), which
// no other work takes from while a graph holds it. Nothing may wait for the device during a
// capture (.item(), .cpu(), a sync): ember raises before the driver would invalidate the capture.
// Python numbers and host-side state are baked into the graph: a learning rate read at capture is
// the one every replay uses, and an optimizer whose step count lives on the host (Adam) refuses to
// be captured (python/ember/optim/optimizer.py).
// The capture runs in relaxed mode: the allocator's cudaMalloc on a cache miss is then allowed.
#include <array>
#include <atomic>

#include "core/cuda/cuda_check.h"
#include "core/cuda/graph_pool.h"
#include "core/cuda_backend.h"

namespace ember::cuda {

namespace {
constexpr int kMaxDevices = 64;
std::array<std::atomic<bool>, kMaxDevices> capturing{};
}  // namespace

struct CapturedGraph {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  int device = 0;
  int64_t pool = 0;
  ~CapturedGraph() {
    // A destructor must not throw; a replay still queued keeps running (the driver holds it).
    if (exec && cudaGraphExecDestroy(exec) != cudaSuccess) cudaGetLastError();
    if (graph && cudaGraphDestroy(graph) != cudaSuccess) cudaGetLastError();
    release_graph_pool(device, pool);
  }
};

bool is_capturing(int index) { return index >= 0 && index < kMaxDevices && capturing[index].load(); }

void check_not_capturing(const char* op, int index) {
  EMBER_CHECK(!is_capturing(index), Runtime, "[", op, "] cannot wait for cuda:", index,
              " while a CUDA graph is being captured on it: .item(), .cpu(), printing, copies from pageable "
              "host memory and synchronize() must stay outside the captured region");
}

int64_t begin_capture(int index, int64_t pool) {
  check_device("CUDAGraph.capture_begin", Device{DeviceType::CUDA, index});
  EMBER_CHECK(!is_capturing(index), Runtime, "[CUDAGraph.capture_begin] cuda:", index,
              " is already being captured (one capture per device at a time)");
  synchronize(index);  // what was queued before belongs to no graph; a kernel's error surfaces here
  use_device(index);
  pool = hold_graph_pool(index, pool);
  set_capture_pool(index, pool);
  capturing[index].store(true);
  cudaError_t err = cudaStreamBeginCapture(stream_of(index), cudaStreamCaptureModeRelaxed);
  if (err != cudaSuccess) {
    capturing[index].store(false);
    set_capture_pool(index, 0);
    release_graph_pool(index, pool);
    EMBER_CUDA_CHECK(err);
  }
  return pool;
}

std::shared_ptr<CapturedGraph> end_capture(int index, int64_t pool) {
  check_device("CUDAGraph.capture_end", Device{DeviceType::CUDA, index});
  EMBER_CHECK(is_capturing(index), Runtime, "[CUDAGraph.capture_end] no capture is running on cuda:", index);
  use_device(index);
  auto g = std::make_shared<CapturedGraph>();
  g->device = index;
  g->pool = pool;  // the capture's hold on the pool passes to the graph
  cudaError_t err = cudaStreamEndCapture(stream_of(index), &g->graph);
  capturing[index].store(false);
  set_capture_pool(index, 0);
  if (err != cudaSuccess) {
    cudaGetLastError();
    fail(ErrorKind::Runtime, "[CUDAGraph.capture_end] the capture on cuda:", index, " failed: ",
         cudaGetErrorString(err), " (", cudaGetErrorName(err), "); an operation the capture does not allow ran "
         "during it");
  }
  EMBER_CUDA_CHECK(cudaGraphInstantiate(&g->exec, g->graph, 0));
  return g;
}

void replay(const CapturedGraph& g) {
  check_not_capturing("CUDAGraph.replay", g.device);
  use_device(g.device);
  EMBER_CUDA_CHECK(cudaGraphLaunch(g.exec, stream_of(g.device)));
  note_launch("cuda_graph");
}

}  // namespace ember::cuda
