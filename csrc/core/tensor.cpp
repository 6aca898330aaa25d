#include "core/tensor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/cpu_block_cache.h"
#include "core/cuda_backend.h"
#include "core/profiler.h"

namespace ember {

namespace {
bool compute_contiguous(const Shape& sizes, const Shape& strides) {
  for (int64_t s : sizes)
    if (s == 0) return true;  // no elements: any strides describe a contiguous tensor (as PyTorch)
  int64_t expected = 1;
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
    if (sizes[i] == 1) continue;  // a size-1 dim's stride never matters
    if (strides[i] != expected) return false;
    expected *= sizes[i];
  }
  return true;
}
}  // namespace

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage, int64_t offset, Shape sizes, Shape strides,
                       DType dtype, std::shared_ptr<VersionCounter> version)
    : storage_(std::move(storage)),
      offset_(offset),
      sizes_(std::move(sizes)),
      strides_(std::move(strides)),
      numel_(shape_numel(sizes_)),
      dtype_(dtype),
      contiguous_(compute_contiguous(sizes_, strides_)),
      version_(version ? std::move(version) : std::make_shared<VersionCounter>()) {}

uint64_t TensorImpl::next_history_stamp() {
  static std::atomic<uint64_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// A view without history of its own requires grad once its base has gained history it has not
// seen (Note [Stale views]).
bool TensorImpl::stale_view_requires_grad() const { return history_is_stale() && view_base_->requires_grad(); }

void TensorImpl::set_data(const TensorImpl& src) {
  EMBER_CHECK(!requires_grad() || is_floating(src.dtype_), Runtime,
              "data set to a tensor that requires gradients must be floating point or complex dtype");
  storage_ = src.storage_;
  offset_ = src.offset_;
  sizes_ = src.sizes_;
  strides_ = src.strides_;
  numel_ = src.numel_;
  dtype_ = src.dtype_;
  contiguous_ = src.contiguous_;
  view_base_ = Tensor();
  differentiable_view_ = false;
}

void TensorImpl::set_sizes_contiguous(Shape sizes) {
  strides_ = contiguous_strides(sizes);
  sizes_ = std::move(sizes);
  numel_ = shape_numel(sizes_);
  contiguous_ = true;
}

void TensorImpl::set_requires_grad(bool r) {
  EMBER_CHECK(!r || is_floating(dtype_), Runtime,
              "only Tensors of floating point dtype can require gradients, got ", dtype_name(dtype_));
  EMBER_CHECK(r || is_leaf(), Runtime,
              "you can only change requires_grad flags of leaf variables. If you want to use a "
              "computed variable in a subgraph that doesn't require differentiation use "
              "var_no_grad = var.detach().");
  requires_grad_ = r;
}

namespace {
// Note [The profiler]: an allocation while a profile is open is an instant, and its block's last
// owner records the free.
std::shared_ptr<void> profiled(std::shared_ptr<void> block, size_t nbytes, Device device) {
  if (!profiler::on()) return block;
  const auto bytes = static_cast<int64_t>(nbytes);
  profiler::instant(profiler::Kind::Alloc, "alloc", device.index, bytes);
  void* p = block.get();
  return std::shared_ptr<void>(p, [block = std::move(block), bytes, device](void*) mutable {
    profiler::instant(profiler::Kind::Free, "free", device.index, bytes);
    block.reset();
  });
}
}  // namespace

std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device) {
  // Device memory comes from the CUDA pool (which also says why when there is no device).
  if (device.is_cuda())
    return std::make_shared<Storage>(profiled(cuda::allocate(nbytes, device.index), nbytes, device), nbytes, device,
                                     /*resizable=*/true);
  // Round up to the alignment so aligned_alloc's contract holds; never ask for 0 bytes.
  size_t rounded = (nbytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  std::shared_ptr<void> p = cpu_alloc_cached(rounded);  // Note [CPU block cache]
  if (!p) fail(ErrorKind::Memory, "[allocate] CPU out of memory: tried to allocate ", nbytes, " bytes");
  return std::make_shared<Storage>(profiled(std::move(p), nbytes, device), nbytes, device, /*resizable=*/true);
}

Tensor empty(const Shape& sizes, DType dtype, Device device, const char* op) {
  // PyTorch's order of checks: the byte count, then the strides (which overflow only when a
  // size-0 dim keeps the byte count at 0: ones(0, 2**62, 4)). Note [Checked size arithmetic].
  check_dims(op, sizes);
  const int64_t nbytes = contiguous_nbytes(op, sizes, static_cast<int64_t>(itemsize(dtype)));
  Shape strides = contiguous_strides(sizes, op);
  // No machine has 2^62 bytes; refusing here also keeps the allocator's rounding from overflowing.
  if (nbytes > (int64_t(1) << 62))
    fail(ErrorKind::Memory, "[", op, "] out of memory: tried to allocate ", nbytes, " bytes for size ",
         shape_str(sizes));
  auto storage = allocate_storage(static_cast<size_t>(nbytes), device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), 0, sizes, std::move(strides), dtype));
}

Tensor make_view(const Tensor& src, Shape sizes, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>(src->storage(), offset, std::move(sizes), std::move(strides),
                                           src.dtype(), src->version_counter());
  impl->set_view_base(src->view_base().defined() ? src->view_base() : src, true);
  return Tensor(std::move(impl));
}

// Note [Resizing a tensor]
// resize_ is PyTorch's: the same sizes leave the tensor alone (strides and all); other sizes get
// contiguous strides from the same storage offset, and when the storage is too small for them it
// grows: a new block, the old bytes copied over, swapped into the Storage itself, so the tensor's
// base and every other view of that storage see the new memory too (as in PyTorch). Growing is
// refused for memory ember did not allocate (a NumPy array's). Nothing is zeroed: new elements are
// uninitialised, as torch.empty's. This is the primitive, as at::native::resize_: Tensor.resize_
// (ops/out.cpp) adds autograd's refusal of a tensor that requires grad and the version bump, and
// out= arguments resize with it directly (PyTorch resizes an out that requires grad under no_grad).
// A NumPy array made from the tensor holds the old block itself, so it stays valid (and stops
// sharing memory with the tensor).
bool resize_(const Tensor& t, const Shape& sizes) {
  check_sizes("resize_", sizes);
  if (sizes == t.sizes()) return false;
  int64_t n = shape_numel(sizes);
  size_t isz = itemsize(t.dtype());
  if (n > 0) {
    EMBER_CHECK(static_cast<uint64_t>(n + t->offset()) <= (uint64_t(1) << 62) / isz, Memory, "[resize_] size ",
                shape_str(sizes), " is too large to allocate");
    size_t needed = static_cast<size_t>(n + t->offset()) * isz;
    Storage& storage = *t->storage();
    if (needed > storage.nbytes()) {
      EMBER_CHECK(storage.resizable(), Runtime, "Trying to resize storage that is not resizable");
      auto bigger = allocate_storage(needed, storage.device());
      if (storage.nbytes() > 0) {
        if (storage.device().is_cuda())
          cuda::copy_bytes(bigger->data(), storage.device(), storage.data(), storage.device(), storage.nbytes());
        else
          std::memcpy(bigger->data(), storage.data(), storage.nbytes());
      }
      // The block stays owned by its temporary Storage, which this aliasing pointer keeps alive.
      std::shared_ptr<void> block(bigger, bigger->data());
      storage.replace(std::move(block), needed);
    }
  }
  t->set_sizes_contiguous(sizes);
  return true;
}

Tensor detach(const Tensor& t) {
  auto impl = std::make_shared<TensorImpl>(t->storage(), t->offset(), t.sizes(), t.strides(), t.dtype(),
                                           t->version_counter());
  impl->set_view_base(t->view_base(), false);
  return Tensor(std::move(impl));
}

}  // namespace ember
