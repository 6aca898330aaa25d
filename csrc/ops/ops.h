// Every op ember has, in one list: the math API that ops, autograd and the bindings call. Each
// family lives in its own file (named beside it); each op checks its arguments up front, runs a
// kernel, and records its backward formula. The view/in-place history helpers that in-place ops
// use are autograd's (autograd/inplace.h).
#pragma once
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "kernels/op_kinds.h"
#include "kernels/scan.h"

namespace ember {

using DimList = std::vector<int64_t>;

// ---- factories (factory.cpp). A dtype left out is the default dtype (Note [Default dtype]).
Tensor zeros(const Shape& sizes, DType dtype = default_dtype(), Device device = cpu_device());
Tensor ones(const Shape& sizes, DType dtype = default_dtype(), Device device = cpu_device());
Tensor full(const Shape& sizes, Scalar value, DType dtype, Device device = cpu_device());
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor scalar_tensor(Scalar value, DType dtype, Device device = cpu_device());
// A value a user asks to store (full, fill_) must fit an integer dtype, as in PyTorch; operands
// of arithmetic (x + 2**40) are not checked: they wrap.
void check_fits(const char* op, Scalar value, DType dtype);
Tensor arange(double start, double end, double step, DType dtype, Device device = cpu_device());
Tensor linspace(double start, double end, int64_t steps, DType dtype, Device device = cpu_device());
Tensor eye(int64_t n, int64_t m, DType dtype, Device device = cpu_device());

// ---- random numbers (random.cpp). See Note [Counter-based generator]. Each op draws from `gen`,
// or from the default generator (the one manual_seed seeds) when gen is null.
void manual_seed(uint64_t seed);
uint64_t initial_seed();
std::pair<uint64_t, uint64_t> get_rng_state();  // (seed, offset) of the default generator
void set_rng_state(uint64_t seed, uint64_t offset);
Tensor rand(const Shape& sizes, DType dtype = default_dtype(), Device device = cpu_device(), Generator* gen = nullptr);
Tensor randn(const Shape& sizes, DType dtype = default_dtype(), Device device = cpu_device(), Generator* gen = nullptr);
Tensor randint(int64_t low, int64_t high, const Shape& sizes, DType dtype = DType::Int64,
               Device device = cpu_device(), Generator* gen = nullptr);
Tensor randperm(int64_t n, Device device = cpu_device(), Generator* gen = nullptr);
void uniform_(const Tensor& t, double low, double high, Generator* gen = nullptr);
void normal_(const Tensor& t, double mean, double std, Generator* gen = nullptr);

// ---- copies and casts (copy.cpp)
Tensor contiguous(const Tensor& t);                 // t itself when already contiguous
Tensor contiguous_clone(const Tensor& t);           // always a new contiguous buffer, no history
Tensor clone(const Tensor& t);                      // differentiable copy
Tensor to_dtype(const Tensor& t, DType dtype);      // differentiable cast (t itself if same dtype)
void copy_into(const Tensor& dst, const Tensor& src);  // raw data copy with broadcast + cast; no autograd
// In place, differentiable; across devices, non_blocking as in to() (Note [Host-to-device copies]).
Tensor& copy_(Tensor& self, const Tensor& src, bool non_blocking = false);

// ---- resizing and out= arguments (out.cpp)
// Tensor.resize_: core's resize_ (Note [Resizing a tensor]) for a tensor that does not require
// grad, counted as a write when the sizes change.
Tensor& resize_tensor_(Tensor& t, const Shape& sizes);
// Writes `result` into an out= argument: resized to the result's shape if it differs, then a cast
// copy, no autograd (Note [out= arguments]).
Tensor& write_out(const char* op, Tensor& out, const Tensor& result);
// RuntimeError when an input shares part, not all, of out's memory (PyTorch's partial-overlap rule).
void check_out_overlap(const char* op, const Tensor& out, const tensor_list& inputs);

// ---- between devices (transfer.cpp)
// t itself when already on `device`; else a contiguous copy there (differentiable). A copy to the
// host waits for the device (a counted sync); a copy to a device never waits (core/cuda_backend.h).
// non_blocking: a copy from pinned host memory does not wait (Note [Host-to-device copies]).
Tensor to_device(const Tensor& t, Device device, bool non_blocking = false);
Tensor pin_memory(const Tensor& t);  // a copy in page-locked host memory (t itself if already pinned)
bool is_pinned(const Tensor& t);

// ---- elementwise binary (binary.cpp)
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor binary(BinaryOp op, const Tensor& a, Scalar b);
Tensor binary(BinaryOp op, Scalar a, const Tensor& b);
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// In place: self op= other; checks that the result fits self's shape and dtype.
Tensor& binary_(BinaryOp op, Tensor& self, const Tensor& other);
Tensor& binary_(BinaryOp op, Tensor& self, Scalar other);
void add_inplace(Tensor& self, const Tensor& other);  // no autograd; used by AccumulateGrad
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator*(const Tensor& a, double s) { return binary(BinaryOp::Mul, a, Scalar{s, ScalarKind::Float}); }
inline Tensor operator*(double s, const Tensor& a) { return a * s; }
inline Tensor operator+(const Tensor& a, double s) { return binary(BinaryOp::Add, a, Scalar{s, ScalarKind::Float}); }
inline Tensor operator-(const Tensor& a, double s) { return binary(BinaryOp::Sub, a, Scalar{s, ScalarKind::Float}); }
inline Tensor operator/(const Tensor& a, double s) { return binary(BinaryOp::Div, a, Scalar{s, ScalarKind::Float}); }
inline Tensor operator-(double s, const Tensor& a) { return binary(BinaryOp::Sub, Scalar{s, ScalarKind::Float}, a); }
inline Tensor operator+(double s, const Tensor& a) { return a + s; }

// PyTorch's name of a dtype in its "not implemented for 'Long'" messages.
inline const char* torch_type_name(DType d) {
  switch (d) {
    case DType::Bool: return "Bool";
    case DType::Int32: return "Int";
    case DType::Int64: return "Long";
    case DType::Float32: return "Float";
    case DType::Float64: return "Double";
  }
  return "Unknown";
}

// ---- elementwise unary (unary.cpp)
Tensor unary(UnaryOp op, const Tensor& x);
Tensor& unary_(UnaryOp op, Tensor& x);
// Overlap checks of the in-place ops (mem_overlap.cpp, Note [Overlapping in-place writes]), each a
// RuntimeError with PyTorch's message: self's elements share memory (an expanded view); an input
// covers part of self's memory (an elementwise op); an input shares any of self's memory (an op
// that moves elements: index_add_, scatter_, advanced setitem). An undefined input passes.
void check_no_internal_overlap(const char* op, const Tensor& self);
void check_no_partial_overlap(const char* op, const Tensor& self, const Tensor& input);
void check_no_overlap(const char* op, const Tensor& self, const Tensor& input);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);  // promotes like PyTorch
Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max);  // tensor bounds (either may be undefined)
Tensor& clamp_(Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor& clamp_(Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);
Tensor& clamp_(Tensor& x, const Tensor& min, const Tensor& max);
inline Tensor operator-(const Tensor& a) { return neg(a); }

// ---- elementwise composites (pointwise_composite.cpp): made of the table ops, so their
// gradients come from those ops' formulas
Tensor round_decimals(const Tensor& x, int64_t decimals);  // torch.round(x, decimals=d)
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
Tensor lerp(const Tensor& start, const Tensor& end, double weight);
Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value);
Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value);
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
bool equal(const Tensor& a, const Tensor& b);
Tensor nan_to_num(const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf);
Tensor& nan_to_num_(Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                    std::optional<double> neginf);
// The in-place form of a composite (addcmul_, lerp_ ...): checks dtype and shape, then copy_.
Tensor& assign_result_(const char* name, Tensor& self, const Tensor& result, const tensor_list& inputs = {});

// ---- views (view_ops.cpp): share storage, record a backward that maps the gradient back
Tensor view(const Tensor& t, const Shape& sizes);        // sizes may contain one -1
Tensor reshape(const Tensor& t, const Shape& sizes);     // a view when strides allow, else a copy
Tensor transpose(const Tensor& t, int64_t d0, int64_t d1);
Tensor permute(const Tensor& t, const DimList& dims);
Tensor expand(const Tensor& t, const Shape& sizes);      // -1 keeps a size
Tensor squeeze(const Tensor& t, std::optional<int64_t> dim);
Tensor squeeze(const Tensor& t, const DimList& dims);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor flatten(const Tensor& t, int64_t start_dim = 0, int64_t end_dim = -1);
// (as_strided.cpp) A view of t's storage with the given sizes, strides and offset (t's own offset
// when none is given), which must lie within the storage.
Tensor as_strided(const Tensor& t, const Shape& sizes, const Shape& strides, std::optional<int64_t> storage_offset);
Tensor t(const Tensor& x);                                // 2-D transpose, <2-D unchanged

// ---- reductions (reduce.cpp; var/std in reduce_var.cpp; max/min/arg* in reduce_minmax.cpp;
// all/any in reduce_logical.cpp)
Tensor sum(const Tensor& t, const DimList& dims, bool keepdim, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& t, const DimList& dims, bool keepdim);
Tensor var(const Tensor& t, const DimList& dims, double correction, bool keepdim);
Tensor logsumexp(const Tensor& t, const DimList& dims, bool keepdim);  // integers in the default float dtype
Tensor std_dev(const Tensor& t, const DimList& dims, double correction, bool keepdim);  // Tensor.std
Tensor amax(const Tensor& t, const DimList& dims, bool keepdim);
Tensor amin(const Tensor& t, const DimList& dims, bool keepdim);
Tensor max_all(const Tensor& t);  // x.max(): amax over every dim, named max in errors and grad_fn
Tensor min_all(const Tensor& t);
std::pair<Tensor, Tensor> max_dim(const Tensor& t, int64_t dim, bool keepdim);  // values, indices
std::pair<Tensor, Tensor> min_dim(const Tensor& t, int64_t dim, bool keepdim);
Tensor argmax(const Tensor& t, std::optional<int64_t> dim, bool keepdim);
Tensor argmin(const Tensor& t, std::optional<int64_t> dim, bool keepdim);
Tensor all(const Tensor& t, const DimList& dims, bool keepdim);
Tensor any(const Tensor& t, const DimList& dims, bool keepdim);
Tensor count_nonzero(const Tensor& t, const DimList& dims, bool keepdim);  // int64
// Sums a broadcast gradient back to `shape` (the inverse of broadcasting, used by backward formulas).
Tensor sum_to(const Tensor& g, const Shape& shape);

// ---- matmul (matmul.cpp)
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);

// ---- linear layers (linear.cpp). See Note [Fused linear].
// x: (*, in), weight: (out, in), bias: (out,) or undefined -> (*, out) = x @ weight^T + bias.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
// relu(linear(x, weight, bias)) with the bias and the ReLU applied in one pass over the output.
Tensor linear_relu(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- activations and dropout (activation.cpp)
Tensor gelu(const Tensor& x, bool tanh_form);
// g * gelu'(x): GELU's backward, itself differentiable (its backward is written in ember ops).
Tensor gelu_backward(const Tensor& g, const Tensor& x, bool tanh_form);
Tensor leaky_relu(const Tensor& x, double negative_slope);
// g where y > 0 (or y is NaN), else 0: ReLU's backward from its output y.
Tensor relu_backward(const Tensor& g, const Tensor& y);
Tensor elu(const Tensor& x, double alpha, double scale, double input_scale);  // also SELU's formula
Tensor softplus(const Tensor& x, double beta, double threshold);
Tensor hardtanh(const Tensor& x, double min_val, double max_val);  // relu6 = hardtanh(x, 0, 6)
// Zeroes each element with probability p and scales the rest by 1/(1-p); x itself when !train.
Tensor dropout(const Tensor& x, double p, bool train);

// ---- softmax and losses (softmax.cpp; cross_entropy in loss.cpp; mse and BCE in loss_pointwise.cpp)
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
enum class Reduction : uint8_t { None, Mean, Sum };
Reduction parse_reduction(const char* op, const std::string& r);
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction, int64_t ignore_index,
                     double label_smoothing);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta);
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta);
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction);  // input: probabilities
// input: log-probabilities; target: probabilities, or log-probabilities when log_target.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target);
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, Reduction reduction);

// ---- joining and splitting (join.cpp)
Tensor cat(const tensor_list& tensors, int64_t dim);
Tensor stack(const tensor_list& tensors, int64_t dim);
tensor_list split(const Tensor& t, int64_t split_size, int64_t dim);
tensor_list split_sizes(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim);
tensor_list chunk(const Tensor& t, int64_t chunks, int64_t dim);

// ---- indexing along one dim (index_along_dim.cpp): slices and selects are views; gather/scatter
// and index_select/index_add are each other's backward
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index);
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index);
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
// self with src added at `index` along dim (out of place; differentiable w.r.t. self and src).
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
// (scatter_reduce.cpp) self with src written at `index` along dim (of duplicates, the last one on
// the CPU), or combined there by reduce = "sum", "prod", "mean", "amax" or "amin", with self's own
// value taking part only when include_self. Out of place; differentiable w.r.t. self and src.
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self);
// Zeros of `sizes` with g written into the slice / select region (the backward of slice/select;
// their own backward is slice / select).
Tensor slice_backward(const Tensor& g, const Shape& sizes, int64_t dim, int64_t start, int64_t stop, int64_t step);
Tensor select_backward(const Tensor& g, const Shape& sizes, int64_t dim, int64_t index);
// Coordinates of the true elements of a bool tensor, [count, ndim] int64 (no autograd).
Tensor nonzero(const Tensor& mask);

// ---- Python subscripts, x[...] and x[...] = v (subscript.cpp). The bindings turn Python objects
// (int, slice, None, Ellipsis, Tensor, list) into TensorIndex items; everything else is there.
struct TensorIndex {
  enum class Kind { Int, Slice, None, Ellipsis, Tensor };
  Kind kind;
  int64_t value = 0;                      // Int
  int64_t start = 0, stop = 0, step = 1;  // Slice (bounds clamped like Python's)
  Tensor tensor;                          // Tensor: int64 (advanced indexing) or bool (a mask)

  static TensorIndex integer(int64_t v) { return {Kind::Int, v, 0, 0, 1, Tensor()}; }
  static TensorIndex range(int64_t start, int64_t stop, int64_t step) {
    return {Kind::Slice, 0, start, stop, step, Tensor()};
  }
  static TensorIndex none() { return {Kind::None, 0, 0, 0, 1, Tensor()}; }
  static TensorIndex ellipsis() { return {Kind::Ellipsis, 0, 0, 0, 1, Tensor()}; }
  static TensorIndex of(Tensor t) { return {Kind::Tensor, 0, 0, 0, 1, std::move(t)}; }
};
// self[indices]: a view for basic indexing (ints, slices, None, ...), a copy when a tensor index
// takes part (PyTorch's advanced indexing, differentiable through index_select).
Tensor index(const Tensor& self, const std::vector<TensorIndex>& indices);
// self[indices] = value, in place (value broadcast to the indexed region and cast to self's dtype).
void index_put_(Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value);

// ---- optimizer steps (optim.cpp). Each updates every parameter of a group in place, with grad
// mode off; see Note [Optimizer steps write in place]. Undefined entries in the state lists mean
// "not used" (or, for SGD's momentum buffers, "create it on this step"; the buffers are returned).
tensor_list sgd_step(const tensor_list& params, const tensor_list& grads, const tensor_list& momentum_bufs,
                     double lr, double momentum, double dampening, bool nesterov, double weight_decay,
                     bool maximize);
void adam_step(const tensor_list& params, const tensor_list& grads, const tensor_list& exp_avgs,
               const tensor_list& exp_avg_sqs, const tensor_list& max_exp_avg_sqs, const tensor_list& steps,
               double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
               bool decoupled_weight_decay, bool capturable = false);
void rmsprop_step(const tensor_list& params, const tensor_list& grads, const tensor_list& square_avgs,
                  const tensor_list& grad_avgs, const tensor_list& momentum_bufs, const tensor_list& steps, double lr,
                  double alpha, double eps, double weight_decay, double momentum, bool centered, bool maximize);
void adagrad_step(const tensor_list& params, const tensor_list& grads, const tensor_list& state_sums,
                  const tensor_list& steps, double lr, double lr_decay, double weight_decay, double eps, bool maximize);
// clip_grad_norm_'s native steps (grad_norm.cpp): the joint norm of floating gradients on one
// device, a 0-d tensor of the first gradient's dtype on that device (norm_type > 0 or inf);
// and every gradient multiplied in place by a one-element tensor on their device. No host sync.
Tensor grad_norm(const tensor_list& grads, double norm_type);
void scale_grads_(const tensor_list& grads, const Tensor& scale);

// ---- convolution and pooling (conv.cpp, pool.cpp). Inputs are (N, C, H, W) or unbatched
// (C, H, W); each pair is (height, width). conv2d's padding may differ before and after (a
// 'same' conv with an even kernel pads one more at the end); the pools pad both sides alike.
using Int2 = std::array<int64_t, 2>;
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Int2 stride, Int2 pad_before,
              Int2 pad_after, Int2 dilation, int64_t groups);
// (values, int64 indices: the flat h * W + w of each max in its plane).
std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, Int2 kernel, Int2 stride, Int2 padding, Int2 dilation,
                                     bool ceil_mode);
Tensor avg_pool2d(const Tensor& x, Int2 kernel, Int2 stride, Int2 padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override);
Tensor adaptive_avg_pool2d(const Tensor& x, Int2 output_size);

// ---- cumulative ops (scan.cpp), prod (reduce_prod.cpp), sorting (sort.cpp), searching (search.cpp),
// multinomial (multinomial.cpp). Integer and bool inputs of cumsum/cumprod/prod give int64 unless
// `dtype` says otherwise, as in PyTorch.
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor& cumsum_(Tensor& self, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor logcumsumexp(const Tensor& x, int64_t dim);
// The inclusive scan of x (in its own dtype) along dim, from the end when `reverse`; differentiable.
Tensor cumulative(const Tensor& x, int64_t dim, kernels::ScanKind kind, bool reverse);
Tensor prod(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& t, int64_t dim, bool keepdim, std::optional<DType> dtype = std::nullopt);
std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable);  // values, indices
Tensor argsort(const Tensor& t, int64_t dim, bool descending, bool stable);
Tensor msort(const Tensor& t);
std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted);
std::pair<Tensor, Tensor> kthvalue(const Tensor& t, int64_t k, int64_t dim, bool keepdim);
Tensor median_all(const Tensor& t);
std::pair<Tensor, Tensor> median_dim(const Tensor& t, int64_t dim, bool keepdim);
// int64 insertion points of `values` in the last dim of sorted_sequence (sorter: undefined or
// the int64 permutation that sorts it).
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool right, const Tensor& sorter);
Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool right);
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen = nullptr);

}  // namespace ember
