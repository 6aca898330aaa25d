// matmul, mm, bmm. Every case reduces to one batched core, `batched_matmul` (both operands at
// least 2-D, batch dims broadcast); the 1-D cases add and then drop a unit dim with view ops,
// whose own backward maps the gradient back, as PyTorch's matmul does.
#include "autograd/function_node.h"
#include "kernels/dispatch.h"
#include "kernels/gemm.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// How the gemm kernel reads one matrix of a strided tensor: in place when one of its two
// strides is 1 (see Note [Blocked GEMM]); `ok` is false when it needs a contiguous copy.
struct MatrixLayout {
  bool ok, trans;
  int64_t ld;
};

MatrixLayout matrix_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if (cs == 1 || cols == 1) return {true, false, rows == 1 ? cols : rs};
  if (rs == 1 || rows == 1) return {true, true, cs};
  return {false, false, 0};
}

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  check_same_device(op, a, b);
  EMBER_CHECK(a.dtype() == b.dtype(), Runtime, "[", op, "] expected both operands to have the same dtype, but got ",
              dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  EMBER_CHECK(a.dtype() != DType::Bool, NotImplemented, "[", op, "] not implemented for '",
              torch_type_name(a.dtype()), "'");
}

[[noreturn]] void fail_shapes(const char* op, const Tensor& a, const Tensor& b) {
  fail(ErrorKind::Runtime, "[", op, "] shapes ", shape_str(a.sizes()), " and ", shape_str(b.sizes()),
       " cannot be multiplied");
}

// The batch dims of the output with each operand's strides along them (0 where it broadcasts),
// size-1 dims dropped and adjacent dims merged where both operands allow: one GemmBatch for the
// kernel (Note [Batched GEMM offsets]), which C, dense, follows with stride M * N.
kernels::GemmBatch gemm_batch(const Shape& batch, const Shape& sa, const Shape& sb, int64_t matrix_numel) {
  kernels::GemmBatch g;
  g.stride_c = matrix_numel;
  for (size_t d = 0; d < batch.size(); ++d) {
    if (batch[d] == 1) continue;
    if (g.ndim > 0) {
      const int last = g.ndim - 1;
      if (g.stride_a[last] == sa[d] * batch[d] && g.stride_b[last] == sb[d] * batch[d]) {
        g.sizes[last] *= batch[d];
        g.stride_a[last] = sa[d];
        g.stride_b[last] = sb[d];
        continue;
      }
    }
    EMBER_CHECK(g.ndim < kernels::kMaxLoopDims, NotImplemented, "[matmul] more than ", kernels::kMaxLoopDims,
                " batch dimensions that cannot be merged");
    g.sizes[g.ndim] = batch[d];
    g.stride_a[g.ndim] = sa[d];
    g.stride_b[g.ndim] = sb[d];
    ++g.ndim;
  }
  return g;
}

// C[batch] = A[batch] @ B[batch] over the broadcast batch dims of a (..., M, K) and b (..., K, N),
// one dispatch for the whole batch: the CPU loops over it, the CUDA kernel walks it on grid z.
void run_gemm(const Tensor& out, Tensor a, Tensor b) {
  int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  MatrixLayout la = matrix_layout(M, K, a.strides()[a.dim() - 2], a.strides()[a.dim() - 1]);
  if (!la.ok) {
    a = contiguous_clone(a);
    la = matrix_layout(M, K, K, 1);
  }
  MatrixLayout lb = matrix_layout(K, N, b.strides()[b.dim() - 2], b.strides()[b.dim() - 1]);
  if (!lb.ok) {
    b = contiguous_clone(b);
    lb = matrix_layout(K, N, N, 1);
  }
  Shape batch(out.sizes().begin(), out.sizes().end() - 2);
  Shape batch_a = batch, batch_b = batch;
  batch_a.insert(batch_a.end(), {M, K});
  batch_b.insert(batch_b.end(), {K, N});
  Shape sa = broadcast_strides(a, batch_a), sb = broadcast_strides(b, batch_b);
  EMBER_DISPATCH_KERNEL(out.device(), gemm_batched, out.dtype(), la.trans, lb.trans, M, N, K, a.raw_data(), la.ld,
                        b.raw_data(), lb.ld, out.raw_data(), N, gemm_batch(batch, sa, sb, M * N));
}

// a: (..., M, K), b: (..., K, N), both at least 2-D; batch dims broadcast.
Tensor batched_matmul(const char* op, const char* node, const Tensor& a, const Tensor& b, const Tensor& a_user,
                      const Tensor& b_user) {
  if (a.size(-1) != b.size(-2)) fail_shapes(op, a_user, b_user);
  Shape batch_a(a.sizes().begin(), a.sizes().end() - 2), batch_b(b.sizes().begin(), b.sizes().end() - 2);
  Shape out_shape = batch_a == batch_b ? batch_a : broadcast_shapes(op, batch_a, batch_b);
  out_shape.insert(out_shape.end(), {a.size(-2), b.size(-1)});
  Tensor out = empty(out_shape, a.dtype(), a.device());
  run_gemm(out, a, b);
  if (is_floating(a.dtype()) && autograd::needs_grad(a, b)) {
    Shape sa = a.sizes(), sb = b.sizes();
    autograd::record(node, {out}, {a, b}, {a, b}, [sa, sb](const BackwardArgs& c) -> tensor_list {
      const Tensor &a = c.saved[0], &b = c.saved[1], &g = c.grad();
      Tensor ga, gb;  // d(AB)/dA = G B^T, d(AB)/dB = A^T G, summed over broadcast batch dims
      if (c.needs[0]) ga = sum_to(matmul(g, transpose(b, -1, -2)), sa);
      if (c.needs[1]) gb = sum_to(matmul(transpose(a, -1, -2), g), sb);
      return {ga, gb};
    });
  }
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands("matmul", a, b);
  int64_t da = a.dim(), db = b.dim();
  EMBER_CHECK(da > 0 && db > 0, Runtime, "[matmul] both arguments to matmul need to be at least 1D, but they are ",
              da, "D and ", db, "D");
  if (da == 1 && db == 1 && a.size(0) != b.size(0)) fail_shapes("matmul", a, b);
  if (da >= 2 && db >= 2) return batched_matmul("matmul", da == 2 && db == 2 ? "MmBackward0" : "BmmBackward0", a, b, a, b);
  // A 1-D operand is a row (on the left) or a column (on the right) for the product, then dropped.
  Tensor a2 = da == 1 ? unsqueeze(a, 0) : a;
  Tensor b2 = db == 1 ? unsqueeze(b, 1) : b;
  Tensor out = batched_matmul("matmul", "MmBackward0", a2, b2, a, b);
  if (db == 1) out = squeeze(out, -1);
  if (da == 1) out = squeeze(out, db == 1 ? -1 : -2);
  return out;
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_operands("mm", a, b);
  EMBER_CHECK(a.dim() == 2, Runtime, "[mm] self must be a matrix, got a ", a.dim(), "-D tensor");
  EMBER_CHECK(b.dim() == 2, Runtime, "[mm] mat2 must be a matrix, got a ", b.dim(), "-D tensor");
  return batched_matmul("mm", "MmBackward0", a, b, a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands("bmm", a, b);
  EMBER_CHECK(a.dim() == 3, Runtime, "[bmm] batch1 must be a 3D tensor, got a ", a.dim(), "-D tensor");
  EMBER_CHECK(b.dim() == 3, Runtime, "[bmm] batch2 must be a 3D tensor, got a ", b.dim(), "-D tensor");
  EMBER_CHECK(a.size(0) == b.size(0), Runtime, "[bmm] batch sizes must match, got ", shape_str(a.sizes()), " and ",
              shape_str(b.sizes()));
  return batched_matmul("bmm", "BmmBackward0", a, b, a, b);
}

}  // namespace ember
