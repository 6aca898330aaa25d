"""ember.Generator and generator= on the random factories, as torch.Generator: reproducible
streams of their own, the global stream untouched, seeds and states, and torch's errors."""
import pytest
from conftest import torch

import ember


def test_a_generator_repeats_its_numbers_and_leaves_the_global_stream_alone():
    for factory, args in [(ember.rand, (5,)), (ember.randn, (2, 3)), (ember.randint, (0, 100, (7,))),
                          (ember.randperm, (9,))]:
        a = factory(*args, generator=ember.Generator().manual_seed(11))
        b = factory(*args, generator=ember.Generator().manual_seed(11))
        c = factory(*args, generator=ember.Generator().manual_seed(12))
        assert a.tolist() == b.tolist() != c.tolist()
    ember.manual_seed(0)
    expected = ember.rand(4).tolist()
    ember.manual_seed(0)
    ember.rand(100, generator=ember.Generator().manual_seed(1))
    assert ember.rand(4).tolist() == expected


def test_in_place_initialisers_take_a_generator():
    w1 = ember.empty(3, 4).normal_(0.0, 2.0, generator=ember.Generator().manual_seed(3))
    w2 = ember.nn.init.normal_(ember.empty(3, 4), 0.0, 2.0, generator=ember.Generator().manual_seed(3))
    assert w1.tolist() == w2.tolist()
    u1 = ember.nn.init.kaiming_uniform_(ember.empty(5, 5), generator=ember.Generator().manual_seed(4))
    u2 = ember.nn.init.kaiming_uniform_(ember.empty(5, 5), generator=ember.Generator().manual_seed(4))
    assert u1.tolist() == u2.tolist()


def test_state_round_trip_and_seed():
    g = ember.Generator().manual_seed(7)
    state = g.get_state()
    first = ember.rand(3, generator=g).tolist()
    assert ember.rand(3, generator=g).tolist() != first
    assert g.set_state(state) is g
    assert ember.rand(3, generator=g).tolist() == first
    assert g.initial_seed() == 7
    fresh = g.seed()
    assert g.initial_seed() == fresh
    ember.manual_seed(5)
    saved = ember.get_rng_state()
    x = ember.randn(3).tolist()
    ember.set_rng_state(saved)
    assert ember.randn(3).tolist() == x
    with pytest.raises(TypeError, match=r"\[set_state\] expected the 2-element int64 CPU tensor"):
        g.set_state(ember.zeros(3))


def test_manual_seed_accepts_what_torch_accepts():
    assert isinstance(ember.manual_seed(3), ember.Generator)
    assert ember.manual_seed(3) is ember.default_generator
    assert ember.initial_seed() == torch.manual_seed(3).initial_seed() == 3
    for seed in [-1, -2**63, 2**64 - 1, 0]:
        assert ember.Generator().manual_seed(seed).initial_seed() == torch.Generator().manual_seed(seed).initial_seed()
    assert ember.manual_seed(1.5).initial_seed() == torch.manual_seed(1.5).initial_seed()
    for bad in [2**64, -2**63 - 1]:
        with pytest.raises(ValueError) as theirs:
            torch.Generator().manual_seed(bad)
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            ember.Generator().manual_seed(bad)
        assert "Overflow when unpacking long long" in str(theirs.value)
    for bad in [1.5, "3", True]:
        with pytest.raises(RuntimeError):
            torch.Generator().manual_seed(bad)
        with pytest.raises(TypeError, match="manual_seed expected a long"):
            ember.Generator().manual_seed(bad)


def test_wrong_generators_are_type_errors():
    for call in [lambda: ember.rand(2, generator=3), lambda: ember.randperm(4, generator="g"),
                 lambda: ember.randint(5, (2,), generator=object())]:
        with pytest.raises(TypeError, match="generator must be an ember.Generator or None"):
            call()
    with pytest.raises(TypeError):
        torch.rand(2, generator=3)
    cuda_gen = ember.Generator(device="cuda")
    assert cuda_gen.device == ember.device("cuda")
    with pytest.raises(RuntimeError, match=r"\[rand\] Expected a 'cpu' device type for generator but found 'cuda'"):
        ember.rand(2, generator=cuda_gen)


def test_randperm_dtype_and_errors():
    p = ember.randperm(6, dtype=ember.float64, generator=ember.Generator().manual_seed(0))
    assert p.dtype == ember.float64 and sorted(p.tolist()) == list(range(6))
    with pytest.raises(RuntimeError, match="n must be non-negative"):
        ember.randperm(-1)
    with pytest.raises(TypeError, match=r"\[randperm\] n must be an int"):
        ember.randperm(2.0)
