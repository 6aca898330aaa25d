// Cumulative ops, prod, the sort family, searchsorted/bucketize and multinomial, with PyTorch's
// signatures. The (values, indices) results are the named pairs of python/ember/return_types.py.
#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

// return_types.<name>(values, indices).
py::object named_pair(const char* name, const std::pair<Tensor, Tensor>& r) {
  static py::handle types = py::module_::import("ember.return_types").release();
  return types.attr(name)(r.first, r.second);
}

// A Python number where PyTorch takes a Scalar overload: a 0-d tensor of the dtype it promotes to.
Tensor tensor_or_scalar(const char* op, py::handle h, DType like, Device device) {
  if (auto t = as_tensor(h)) return *t;
  auto s = as_scalar(h);
  EMBER_CHECK(s.has_value(), Type, "[", op, "] expected a Tensor or a number, got ", std::string(py::str(py::type::of(h))));
  return scalar_tensor(*s, promote_with_scalar(like, s->kind, default_dtype()), device);
}

// PyTorch's side= and right= of searchsorted: side wins, and the two must not disagree.
bool right_arg(bool right, const std::optional<std::string>& side) {
  if (!side) return right;
  EMBER_CHECK(*side == "left" || *side == "right", Runtime, "[searchsorted] torch.searchsorted(): side can only be "
              "'left' or 'right' but got ", *side);
  EMBER_CHECK(!(right && *side == "left"), Runtime, "[searchsorted] torch.searchsorted(): side and right can't be "
              "set to opposites, got side of left while right was True");
  return *side == "right";
}

// out_int32=True: the kernel writes int64 positions, narrowed afterwards (they fit: positions
// are at most a row's length).
Tensor positions_as(Tensor positions, bool out_int32) {
  return out_int32 ? to_dtype(positions, DType::Int32) : positions;
}

Tensor searchsorted_fn(const Tensor& seq, py::handle values, bool out_int32, bool right,
                       std::optional<std::string> side, std::optional<Tensor> sorter) {
  Tensor v = tensor_or_scalar("searchsorted", values, seq.dtype(), seq.device());
  return positions_as(searchsorted(seq, v, right_arg(right, side), sorter ? *sorter : Tensor()), out_int32);
}

Tensor bucketize_fn(py::handle input, const Tensor& boundaries, bool out_int32, bool right) {
  Tensor v = tensor_or_scalar("bucketize", input, boundaries.dtype(), boundaries.device());
  return positions_as(bucketize(v, boundaries, right), out_int32);
}

}  // namespace

void init_sort(py::module_& m, PyTensor& cls) {
  // ---- cumulative ops
  auto cumsum_fn = [](const Tensor& t, int64_t dim, std::optional<DType> dtype) { return cumsum(t, dim, dtype); };
  auto cumprod_fn = [](const Tensor& t, int64_t dim, std::optional<DType> dtype) { return cumprod(t, dim, dtype); };
  auto lcse_fn = [](const Tensor& t, int64_t dim) { return logcumsumexp(t, dim); };
  for (auto [name, fn] : {std::pair{"cumsum", +cumsum_fn}, std::pair{"cumprod", +cumprod_fn}}) {
    cls.def(name, fn, py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
    m.def(name, fn, py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  }
  cls.def("cumsum_", [](Tensor& t, int64_t dim, std::optional<DType> dtype) -> Tensor& { return cumsum_(t, dim, dtype); },
          py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  cls.def("logcumsumexp", lcse_fn, py::arg("dim"));
  m.def("logcumsumexp", lcse_fn, py::arg("input"), py::arg("dim"));

  // ---- prod: prod(input, *, dtype) or prod(input, dim, keepdim=False, *, dtype)
  auto prod_fn = [](const Tensor& t, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
    return dim ? prod(t, *dim, keepdim, dtype) : prod(t, dtype);
  };
  cls.def("prod", prod_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
          py::arg("dtype") = py::none());
  m.def("prod", prod_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
        py::arg("dtype") = py::none());

  // ---- sorting
  for (auto [name, fn] : {std::pair{"sort", +[](const Tensor& t, int64_t d, bool desc, std::optional<bool> s) -> py::object {
                            return named_pair("sort", sort(t, d, desc, s.value_or(false))); }},
                          std::pair{"argsort", +[](const Tensor& t, int64_t d, bool desc, std::optional<bool> s) -> py::object {
                            return py::cast(argsort(t, d, desc, s.value_or(false))); }}}) {
    cls.def(name, fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
    m.def(name, fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
          py::arg("stable") = false);
  }
  cls.def("msort", [](const Tensor& t) { return msort(t); });
  m.def("msort", [](const Tensor& t) { return msort(t); }, py::arg("input"));

  auto topk_fn = [](const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
    return named_pair("topk", topk(t, k, dim, largest, sorted));
  };
  cls.def("topk", topk_fn, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true);
  m.def("topk", topk_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true,
        py::arg("sorted") = true);
  auto kth_fn = [](const Tensor& t, int64_t k, int64_t dim, bool keepdim) {
    return named_pair("kthvalue", kthvalue(t, k, dim, keepdim));
  };
  cls.def("kthvalue", kth_fn, py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false);
  m.def("kthvalue", kth_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false);
  auto median_fn = [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) -> py::object {
    if (!dim) {
      EMBER_CHECK(!keepdim, Type, "[median] median() got keepdim=True without a dim; pass dim to keep it");
      return py::cast(median_all(t));
    }
    return named_pair("median", median_dim(t, *dim, keepdim));
  };
  cls.def("median", median_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  m.def("median", median_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);

  // ---- searching
  m.def("searchsorted", &searchsorted_fn, py::arg("sorted_sequence"), py::arg("input"), py::kw_only(),
        py::arg("out_int32") = false, py::arg("right") = false, py::arg("side") = py::none(),
        py::arg("sorter") = py::none());
  m.def("bucketize", &bucketize_fn, py::arg("input"), py::arg("boundaries"), py::kw_only(),
        py::arg("out_int32") = false, py::arg("right") = false);

  // ---- multinomial
  auto multinomial_fn = [](const Tensor& t, int64_t n, bool replacement, Generator* g) {
    return multinomial(t, n, replacement, g);
  };
  cls.def("multinomial", multinomial_fn, py::arg("num_samples"), py::arg("replacement") = false, py::kw_only(),
          py::arg("generator") = py::none());
  m.def("multinomial", multinomial_fn, py::arg("input"), py::arg("num_samples"), py::arg("replacement") = false,
        py::kw_only(), py::arg("generator") = py::none());
}

}  // namespace ember::bindings
