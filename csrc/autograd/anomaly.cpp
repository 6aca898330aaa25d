#include "autograd/anomaly.h"

#include <cmath>
#include <vector>

#include "autograd/node.h"
#include "ops/ops.h"

namespace ember::autograd {

std::atomic<bool> AnomalyMode::enabled_{false};
std::atomic<bool> AnomalyMode::check_nan_{true};

void AnomalyMode::set_enabled(bool enabled, bool check_nan) {
  check_nan_.store(check_nan, std::memory_order_relaxed);
  enabled_.store(enabled, std::memory_order_relaxed);
}

namespace {

std::function<std::string()>& stack_capture() {
  static std::function<std::string()> fn;
  return fn;
}

std::function<void(const std::string&)>& warning_handler() {
  static std::function<void(const std::string&)> fn;
  return fn;
}

void warn(const std::string& msg) {
  if (warning_handler()) warning_handler()(msg);
}

std::string forward_trace(const Node& node) {
  if (node.anomaly_trace().empty())
    return "No forward pass information available. Enable detect anomaly during forward pass for more "
           "information.";
  return "Traceback of forward call that caused the error:\n" + node.anomaly_trace();
}

// 0 if all finite, 1 if some NaN, 2 if some infinity (NaN wins: it is what PyTorch reports).
int classify(const Tensor& g) {
  if (!is_floating(g.dtype()) || g.numel() == 0) return 0;
  // A CUDA gradient is checked on the host (anomaly mode is for debugging; the copy is a sync).
  Tensor c = contiguous(g.device().is_cpu() ? g : to_device(detach(g), cpu_device()));
  return EMBER_DISPATCH_FLOATING(c.dtype(), "detect_anomaly", [&] {
    const scalar_t* p = c.data<scalar_t>();
    bool inf = false;
    for (int64_t i = 0; i < c.numel(); ++i) {
      if (std::isnan(p[i])) return 1;
      inf = inf || std::isinf(p[i]);
    }
    return inf ? 2 : 0;
  });
}

std::string ordinal_suffix(size_t i) { return std::to_string(i) + "th"; }

}  // namespace

void set_anomaly_stack_capture(std::function<std::string()> capture) { stack_capture() = std::move(capture); }
void set_anomaly_warning_handler(std::function<void(const std::string&)> w) { warning_handler() = std::move(w); }

void record_anomaly_trace(Node& node) {
  if (!AnomalyMode::is_enabled() || !stack_capture()) return;
  node.set_anomaly_trace(stack_capture()());
}

// Note [Anomaly check of infinities]: PyTorch checks NaN only; ember also reports an infinite
// gradient (log(0), sqrt(0) backward), which in practice is the first sign of the NaN to come.
// NaN is looked for in every output first, so wherever PyTorch raises ember gives its message.
void check_anomaly_grads(const Node& node, const tensor_list& grads) {
  if (!AnomalyMode::should_check_nan()) return;
  std::vector<int> kinds(grads.size(), 0);
  for (size_t i = 0; i < grads.size(); ++i) kinds[i] = grads[i].defined() ? classify(grads[i]) : 0;
  for (int wanted : {1, 2}) {
    for (size_t i = 0; i < grads.size(); ++i) {
      if (kinds[i] != wanted) continue;
      std::string trace = forward_trace(node);
      warn("Error detected in " + node.name() + ". " + trace);
      fail(ErrorKind::Runtime, "Function '", node.name(), "' returned ", wanted == 1 ? "nan" : "inf",
           " values in its ", ordinal_suffix(i), " output.\n\n", trace);
    }
  }
}

void warn_anomaly_failure(const Node& node) { warn("Error detected in " + node.name() + ". " + forward_trace(node)); }

}  // namespace ember::autograd
