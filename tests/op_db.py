"""The OpInfo-style table of ember's elementwise ops (issue 12): one entry per op, run by the
generic tests of tests/test_ops.py forward, backward, in place and per dtype, against PyTorch.
They take the pointwise samples of tests/op_info.py (broadcasting, transposed/permuted, expanded,
0-d, empty, NaN/inf): the first variant runs on every sample; the others (the method, the
operator, the function, Python-number operands) on the first and the special-value samples only.
"""
from op_info import ALL, F32, FLOATS, INTEGRAL, NUMERIC, OpInfo, function, functional, inplace_method, method


def unary(name, dtypes=ALL, inplace=True, **kw):
    """A table op with a method, an ember function and an in-place method."""
    return OpInfo(name, (method(name), function(name)), 1, dtypes,
                  inplace=inplace_method(name + "_") if inplace else None, **kw)


def predicate(name, inplace=False):
    return OpInfo(name, (function(name), method(name)), 1, ALL, differentiable=False,
                  inplace=inplace_method(name + "_") if inplace else None)


def binary(name, dtypes=ALL, operator=None, scalars=(2, 2.5), inplace=True, **kw):
    variants = [function(name), method(name)]
    if operator is not None:
        variants.append(operator)
    for s in scalars:  # a Python number as the second operand
        variants.append((lambda s: lambda L, a, b: getattr(L, name)(a, s))(s))
    return OpInfo(name, tuple(variants), 2, dtypes, inplace=inplace_method(name + "_") if inplace else None, **kw)


def comparison(name, dunder):
    return OpInfo(name, (method(name), lambda L, a, b: getattr(a, dunder)(b), lambda L, a, b: getattr(a, dunder)(1)),
                  2, ALL, differentiable=False)


POSITIVE = (0.1, 3.0)
LOOSE32 = {F32: dict(rtol=1e-4, atol=1e-5)}

OPS = [
    # ---- unary table ops
    unary("neg", NUMERIC),
    OpInfo("neg_operator", (lambda L, x: -x,), 1, NUMERIC),
    unary("exp"), unary("log", domain=POSITIVE, int_domain=(1, 5)), unary("tanh"), unary("sigmoid"),
    unary("relu", NUMERIC), unary("sqrt", domain=POSITIVE, int_domain=(0, 5)), unary("abs", NUMERIC),
    OpInfo("abs_operator", (lambda L, x: abs(x),), 1, NUMERIC),
    unary("sin"), unary("cos"), unary("sign"),
    unary("round", NUMERIC, domain=(-4.0, 4.0)), unary("floor", NUMERIC), unary("ceil", NUMERIC),
    unary("trunc", NUMERIC), unary("frac", FLOATS),
    OpInfo("round_decimals", (lambda L, x: L.round(x, decimals=2), lambda L, x: x.round(decimals=-1),
                              lambda L, x: x.round(decimals=3)), 1, FLOATS, domain=(-50.0, 50.0),
           inplace=inplace_method("round_", decimals=2)),
    unary("erf"), unary("erfc", domain=(-2.0, 3.0)), unary("log1p", domain=(-0.9, 3.0), int_domain=(0, 5)),
    unary("expm1"), unary("log2", domain=POSITIVE, int_domain=(1, 5)),
    unary("log10", domain=POSITIVE, int_domain=(1, 5)), unary("exp2"),
    unary("rsqrt", domain=POSITIVE, int_domain=(1, 5)), unary("square"),
    unary("reciprocal", domain=(0.3, 2.0), int_domain=(1, 5)),
    unary("tan", domain=(-1.2, 1.2), tol=LOOSE32), unary("asin", domain=(-0.9, 0.9), int_domain=(-1, 1)),
    unary("acos", domain=(-0.9, 0.9), int_domain=(-1, 1)), unary("atan"), unary("sinh"), unary("cosh"),
    unary("bitwise_not", INTEGRAL, differentiable=False),
    OpInfo("invert_operator", (lambda L, x: ~x,), 1, INTEGRAL, differentiable=False),
    predicate("isnan"), predicate("isinf"), predicate("isfinite"), predicate("isposinf"), predicate("isneginf"),
    predicate("signbit"), predicate("logical_not", inplace=True),
    OpInfo("nan_to_num", (function("nan_to_num"), lambda L, x: x.nan_to_num(nan=1.0, posinf=9.0),
                          lambda L, x: L.nan_to_num(x, neginf=-7.0)), 1, ALL,
           inplace=inplace_method("nan_to_num_")),
    OpInfo("clamp", (lambda L, x: L.clamp(x, -0.5, 0.5), lambda L, x: x.clamp(max=0.0), lambda L, x: x.clip(min=0.0),
                     lambda L, x: x.clamp(-1, 2)), 1, ALL, inplace=inplace_method("clamp_", -0.5, 0.5)),
    OpInfo("clamp_min", (lambda L, x: L.clamp_min(x, 0.3), lambda L, x: x.clamp_min(-1)), 1, ALL,
           inplace=inplace_method("clamp_min_", 0.3)),
    OpInfo("clamp_max", (lambda L, x: L.clamp_max(x, 0.3), lambda L, x: x.clamp_max(1)), 1, ALL,
           inplace=inplace_method("clamp_max_", 0.3)),
    # ---- activations (nn.functional)
    OpInfo("silu", (functional("silu"), functional("silu", inplace=True)), 1, FLOATS, domain=(-6.0, 6.0)),
    OpInfo("mish", (functional("mish"),), 1, FLOATS, domain=(-6.0, 6.0)),
    OpInfo("selu", (functional("selu"), function("selu"), functional("selu", inplace=True)), 1, FLOATS,
           domain=(-4.0, 4.0)),
    OpInfo("logsigmoid", (functional("logsigmoid"),), 1, FLOATS, domain=(-30.0, 30.0)),
    OpInfo("elu", (functional("elu"), functional("elu", alpha=0.5), functional("elu", alpha=2.0, inplace=True),
                   functional("elu_", alpha=0.3)),
           1, FLOATS, domain=(-4.0, 4.0)),
    OpInfo("softplus", (functional("softplus"), functional("softplus", beta=2.0, threshold=3.0),
                        functional("softplus", beta=0.5)), 1, FLOATS, domain=(-25.0, 25.0)),
    OpInfo("hardtanh", (functional("hardtanh"), functional("hardtanh", min_val=-0.5, max_val=2.0),
                        functional("hardtanh", inplace=True), functional("hardtanh_", max_val=0.5)), 1, NUMERIC,
           domain=(-3.0, 3.0)),
    OpInfo("relu6", (functional("relu6"), functional("relu6", inplace=True)), 1, NUMERIC, domain=(-3.0, 9.0),
           int_domain=(-3, 9)),
    # PyTorch's vectorised float32 GELU gives NaN at +inf; ember gives inf (as PyTorch's float64).
    OpInfo("gelu", (functional("gelu"), functional("gelu", approximate="tanh")), 1, FLOATS, domain=(-4.0, 4.0),
           nan_inf=False),
    OpInfo("leaky_relu", (functional("leaky_relu"), functional("leaky_relu", negative_slope=0.2)), 1, FLOATS),
    OpInfo("relu_functional", (functional("relu"), functional("relu", inplace=True)), 1, NUMERIC),
    OpInfo("sigmoid_functional", (functional("sigmoid"), functional("tanh")), 1, ALL),
    # ---- binary table ops
    binary("add", ALL, lambda L, a, b: a + b, inplace=True),
    OpInfo("add_alpha", (lambda L, a, b: a.add(b, alpha=2),
                         lambda L, a, b: 2 + a), 2, ALL, inplace=inplace_method("add_", alpha=2)),
    binary("sub", NUMERIC, lambda L, a, b: a - b),
    OpInfo("rsub", (lambda L, a, b: 2 - a, lambda L, a, b: 2.5 - a), 2, NUMERIC),
    binary("mul", ALL, lambda L, a, b: a * b),
    binary("div", ALL, lambda L, a, b: a / b, domain=((-2.0, 2.0), (0.5, 2.0)), int_domain=((-5, 5), (1, 5)),
           nonzero=(1,)),
    OpInfo("rtruediv", (lambda L, a, b: 3 / a,), 2, ALL, domain=(0.5, 2.0)),
    # PyTorch computes x ** 0.5 as sqrt(x) (NaN at -inf, where C's pow gives inf); ember uses pow.
    binary("pow", NUMERIC, lambda L, a, b: a ** b, scalars=(2, 3.0, -1.5),
           domain=((0.5, 2.0), (-2.0, 2.0)), int_domain=((1, 4), (0, 3))),
    OpInfo("rpow", (lambda L, a, b: 2 ** a, lambda L, a, b: 1.5 ** a), 2, ALL),
    binary("maximum", ALL, scalars=(), inplace=False), binary("minimum", ALL, scalars=(), inplace=False),
    binary("fmod", NUMERIC, scalars=(2, -1.5), nonzero=(1,), domain=((-5.0, 5.0), (-2.0, 2.0))),
    binary("remainder", NUMERIC, lambda L, a, b: a % b, scalars=(2, -1.5), nonzero=(1,),
           domain=((-5.0, 5.0), (-2.0, 2.0))),
    # PyTorch has no derivative for remainder(number, tensor) (backward raises); ember gives -floor(a / b).
    OpInfo("rmod", (lambda L, a, b: 7 % b, lambda L, a, b: -2.5 % b), 2, ALL, nonzero=(1,),
           domain=((-5.0, 5.0), (0.5, 2.0)), differentiable=False),
    # PyTorch records floor_divide but has no derivative: backward raises, and so does ember's.
    binary("floor_divide", NUMERIC, lambda L, a, b: a // b, scalars=(2, -1.5), nonzero=(1,), gradcheck=False,
           domain=((-5.0, 5.0), (-2.0, 2.0))),
    OpInfo("rfloordiv", (lambda L, a, b: 7 // b,), 2, ALL, nonzero=(1,), domain=((-5.0, 5.0), (0.5, 2.0)),
           gradcheck=False),
    binary("atan2", ALL, scalars=()), binary("hypot", FLOATS, scalars=()),
    binary("copysign", ALL, scalars=(-1, 2.5)), binary("xlogy", ALL, scalars=(2, 0.5), domain=((-2.0, 2.0), POSITIVE),
                                                     int_domain=((-2, 3), (1, 4))),
    binary("bitwise_and", INTEGRAL, lambda L, a, b: a & b, scalars=(1,), differentiable=False),
    binary("bitwise_or", INTEGRAL, lambda L, a, b: a | b, scalars=(1,), differentiable=False),
    binary("bitwise_xor", INTEGRAL, lambda L, a, b: a ^ b, scalars=(1,), differentiable=False),
    OpInfo("rand_operators", (lambda L, a, b: 1 & a, lambda L, a, b: 6 | a, lambda L, a, b: 3 ^ b), 2, INTEGRAL,
           differentiable=False),
    binary("logical_and", ALL, scalars=(), differentiable=False),
    binary("logical_or", ALL, scalars=(), differentiable=False),
    binary("logical_xor", ALL, scalars=(), differentiable=False),
    comparison("eq", "__eq__"), comparison("ne", "__ne__"), comparison("lt", "__lt__"),
    comparison("le", "__le__"), comparison("gt", "__gt__"), comparison("ge", "__ge__"),
    OpInfo("isclose", (function("isclose"), lambda L, a, b: L.isclose(a, b, rtol=0.5, atol=0.1),
                       lambda L, a, b: a.isclose(b, equal_nan=True)), 2, ALL, differentiable=False),
    OpInfo("lerp_scalar", (lambda L, a, b: L.lerp(a, b, 0.3), lambda L, a, b: a.lerp(b, 0.75),
                           lambda L, a, b: L.lerp(a, b, 1.0)), 2, FLOATS, inplace=inplace_method("lerp_", 0.25)),
    # ---- ternary
    OpInfo("where", (lambda L, c, a, b: L.where(c > 0, a, b), lambda L, c, a, b: L.where(c > 0, a, 0.0)), 3, ALL),
    OpInfo("lerp", (function("lerp"), method("lerp")), 3, FLOATS, domain=((-2.0, 2.0), (-2.0, 2.0), (-0.5, 1.5)),
           inplace=inplace_method("lerp_")),
    OpInfo("addcmul", (function("addcmul"), lambda L, a, b, c: L.addcmul(a, b, c, value=0.5),
                       lambda L, a, b, c: a.addcmul(b, c, value=2)), 3, NUMERIC, inplace=inplace_method("addcmul_")),
    OpInfo("addcdiv", (function("addcdiv"), lambda L, a, b, c: L.addcdiv(a, b, c, value=0.5),
                       lambda L, a, b, c: a.addcdiv(b, c, value=-2)), 3, FLOATS,
           domain=((-2.0, 2.0), (-2.0, 2.0), (0.5, 2.0)), inplace=inplace_method("addcdiv_", value=0.5)),
]

OPS_BY_NAME = {op.name: op for op in OPS}
assert len(OPS_BY_NAME) == len(OPS), "op names must be unique"
