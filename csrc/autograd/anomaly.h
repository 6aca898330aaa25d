// Anomaly detection (torch.autograd.detect_anomaly): while it is on, every node records the
// Python stack of the forward op that made it, and the engine checks each gradient a node returns
// for NaN and infinity, naming the node and showing that forward stack.
//
// Note [Anomaly mode costs nothing when off]
// The stack is captured through a callback the Python bindings install (autograd must not call
// Python itself), and only when the mode is on: record() and the engine test one global flag.
#pragma once
#include <atomic>
#include <functional>
#include <string>

#include "core/tensor.h"

namespace ember::autograd {

class Node;

// Process-wide, as in PyTorch (set in one thread, seen in all): relaxed atomics, since threads
// running backward read the flags while another may set them.
struct AnomalyMode {
  static bool is_enabled() { return enabled_.load(std::memory_order_relaxed); }
  static bool should_check_nan() { return check_nan_.load(std::memory_order_relaxed); }
  static void set_enabled(bool enabled, bool check_nan = true);

 private:
  static std::atomic<bool> enabled_;
  static std::atomic<bool> check_nan_;
};

// Installed by the bindings: returns the current Python stack as text; and shows a warning.
void set_anomaly_stack_capture(std::function<std::string()> capture);
void set_anomaly_warning_handler(std::function<void(const std::string&)> warn);

// Called where a node is made: stores the forward stack on it when anomaly mode is on.
void record_anomaly_trace(Node& node);

// Called by the engine on what `node` returned: raises RuntimeError ("Function 'LogBackward0'
// returned nan values in its 0th output.") with the forward stack, after warning with it.
void check_anomaly_grads(const Node& node, const tensor_list& grads);

// Warns that `node` failed in backward, with its forward stack (the engine rethrows after).
void warn_anomaly_failure(const Node& node);

}  // namespace ember::autograd
