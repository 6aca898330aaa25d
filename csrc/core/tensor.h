// TensorImpl holds what a tensor is: a strided view (sizes, strides, offset) into a Storage,
// its dtype, and its autograd state. Tensor is the handle everyone passes around: a
// shared_ptr<TensorImpl>, so Python and C++ share one object and `x.grad is x.grad` holds.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/default_dtype.h"
#include "core/dtype.h"
#include "core/shape.h"
#include "core/storage.h"

namespace ember {

namespace autograd {
class Node;
}

class TensorImpl;

// Note [Version counter]: every in-place write bumps the counter; views share their base's
// counter, so a saved tensor can tell that any alias of its memory was written after it was saved.
struct VersionCounter {
  uint32_t version = 0;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* operator->() const { return impl_.get(); }
  TensorImpl& operator*() const { return *impl_; }
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  // Conveniences used everywhere in ops; defined below TensorImpl.
  const Shape& sizes() const;
  const Shape& strides() const;
  int64_t size(int64_t dim) const;
  int64_t dim() const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool requires_grad() const;
  bool is_contiguous() const;
  template <typename T> T* data() const;
  void* raw_data() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

using tensor_list = std::vector<Tensor>;

// A hook on the gradient flowing into a tensor (Tensor.register_hook): it may return a replacement
// gradient, or an undefined Tensor to keep the one it was given. See autograd/hooks.h.
using GradHook = std::function<Tensor(const Tensor&)>;
struct GradHookEntry {
  uint64_t id;
  uint32_t slot;       // which output of the node the gradient belongs to
  GradHook fn;
  bool is_retain_grad; // retain_grad's hook runs after every user hook, as in PyTorch
};
using PostAccumulateHook = std::function<void(const Tensor&)>;

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, int64_t offset, Shape sizes, Shape strides, DType dtype,
             std::shared_ptr<VersionCounter> version = nullptr);

  // -- layout
  const Shape& sizes() const { return sizes_; }
  const Shape& strides() const { return strides_; }
  int64_t dim() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t numel() const { return numel_; }
  int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  bool is_contiguous() const { return contiguous_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  void* raw_data() const {
    return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(itemsize(dtype_));
  }

  // x.data = src (Python): x takes src's memory, layout and dtype and keeps its own autograd state
  // (history, .grad, hooks, version counter), as PyTorch's set_data does. x stops being a view.
  void set_data(const TensorImpl& src);
  // New sizes with contiguous strides from the same offset (resize_ below grows the storage first).
  void set_sizes_contiguous(Shape sizes);

  // -- versions and views
  uint32_t version() const { return version_->version; }
  void bump_version() { ++version_->version; }
  const std::shared_ptr<VersionCounter>& version_counter() const { return version_; }
  // The tensor whose memory this one views (none for a tensor that owns its layout).
  const Tensor& view_base() const { return view_base_; }
  // A differentiable view (made by a view op; detach() makes a view that is not) takes part in its
  // base's history: see Note [Stale views] (autograd/inplace.cpp).
  void set_view_base(Tensor base, bool differentiable) {
    view_base_ = std::move(base);
    differentiable_view_ = differentiable;
    base_history_ = current_base_history();
  }
  // The base's history this view's history was built against, and whether the base has had
  // other history since (an in-place op on the base or through another view).
  void mark_history_fresh() { base_history_ = current_base_history(); }
  bool history_is_stale() const { return differentiable_view_ && base_history_ != current_base_history(); }

  // -- autograd (see autograd/engine.h for how these are used)
  bool requires_grad() const { return requires_grad_ || grad_fn_ != nullptr || (differentiable_view_ && stale_view_requires_grad()); }
  bool is_leaf() const { return grad_fn_ == nullptr; }
  void set_requires_grad(bool r);  // checks the dtype and leaf-ness
  const std::shared_ptr<autograd::Node>& grad_fn() const { return grad_fn_; }
  uint32_t output_nr() const { return output_nr_; }
  void set_history(std::shared_ptr<autograd::Node> fn, uint32_t output_nr) {
    history_stamp_ = fn ? next_history_stamp() : kNoHistory;
    grad_fn_ = std::move(fn);
    output_nr_ = output_nr;
  }
  Tensor& grad() { return grad_; }
  bool retains_grad() const { return retains_grad_; }
  void set_retains_grad(bool r) { retains_grad_ = r; }
  std::weak_ptr<autograd::Node>& grad_accumulator() { return grad_accumulator_; }
  // Hooks of a leaf live on the tensor (its AccumulateGrad is made lazily and held weakly).
  std::vector<GradHookEntry>& leaf_hooks() { return leaf_hooks_; }
  std::vector<std::pair<uint64_t, PostAccumulateHook>>& post_accumulate_hooks() { return post_accumulate_hooks_; }

 private:
  std::shared_ptr<Storage> storage_;
  int64_t offset_;
  Shape sizes_, strides_;
  int64_t numel_;
  DType dtype_;
  bool contiguous_;
  std::shared_ptr<VersionCounter> version_;
  Tensor view_base_;
  bool differentiable_view_ = false;
  // Note [History stamps]: each set_history with a node draws a new stamp, so "has the base had
  // new history since?" is one integer compare, and core never looks inside an autograd::Node.
  static constexpr uint64_t kNoHistory = ~uint64_t(0);
  static uint64_t next_history_stamp();
  uint64_t history_stamp_ = kNoHistory;  // of this tensor's current grad_fn
  uint64_t base_history_ = kNoHistory;   // the base's history_stamp_ when this view's history was built
  uint64_t current_base_history() const { return view_base_.defined() ? view_base_->history_stamp_ : kNoHistory; }
  bool stale_view_requires_grad() const;

  bool requires_grad_ = false;
  bool retains_grad_ = false;
  std::shared_ptr<autograd::Node> grad_fn_;
  uint32_t output_nr_ = 0;
  Tensor grad_;
  // Note [Leaf accumulator]: held weakly so that a leaf does not keep its AccumulateGrad (which
  // holds the leaf) alive; graphs that use the leaf hold the accumulator through their edges.
  std::weak_ptr<autograd::Node> grad_accumulator_;
  std::vector<GradHookEntry> leaf_hooks_;
  std::vector<std::pair<uint64_t, PostAccumulateHook>> post_accumulate_hooks_;
};

inline const Shape& Tensor::sizes() const { return impl_->sizes(); }
inline const Shape& Tensor::strides() const { return impl_->strides(); }
inline int64_t Tensor::size(int64_t d) const { return impl_->sizes()[existing_dim(d, impl_->dim())]; }
inline int64_t Tensor::dim() const { return impl_->dim(); }
inline int64_t Tensor::numel() const { return impl_->numel(); }
inline DType Tensor::dtype() const { return impl_->dtype(); }
inline Device Tensor::device() const { return impl_->device(); }
inline bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad(); }
inline bool Tensor::is_contiguous() const { return impl_->is_contiguous(); }
inline void* Tensor::raw_data() const { return impl_->raw_data(); }
template <typename T>
T* Tensor::data() const {
  EMBER_INTERNAL_ASSERT(dtype_of<T>::value == impl_->dtype(), "data<T>() with the wrong type");
  // Host code never reads device memory: kernels get raw_data() and run on the tensor's device.
  EMBER_INTERNAL_ASSERT(impl_->device().is_cpu(), "data<T>() of a tensor on ", impl_->device().str());
  return static_cast<T*>(impl_->raw_data());
}

// -- making tensors (core/tensor.cpp)
// dtype defaults to the default dtype (Note [Default dtype]), read at each call, as at::empty does.
// `op` is the name an error about the sizes gives (ones, randn, ...: every factory allocates here).
Tensor empty(const Shape& sizes, DType dtype = default_dtype(), Device device = cpu_device(), const char* op = "empty");
// A new TensorImpl over `src`'s storage with the given layout; shares the version counter and
// records `src` (or its base) as the view base. No autograd history: the caller records it.
Tensor make_view(const Tensor& src, Shape sizes, Shape strides, int64_t offset);
// Same memory, same layout, no autograd history (Tensor.detach()).
Tensor detach(const Tensor& t);
// Tensor.resize_(sizes), as PyTorch's: Note [Resizing a tensor]. Returns whether the sizes changed.
bool resize_(const Tensor& t, const Shape& sizes);

}  // namespace ember
