"""Pure-Python reference engines that ember's benchmarks compare against.

- `Value` (value.py): scalar autograd, one Python object per number, with a tiny MLP and a
  softmax cross-entropy on top. The teaching baseline.
- `numpy_engine` (numpy_engine.py): tensor autograd whose graph and backward walk are Python and
  whose arithmetic is NumPy.

Neither imports ember: they are independent implementations, so agreeing with ember means something.
"""
from . import numpy_engine
from .value import MLP, Layer, Neuron, Value, cross_entropy

__all__ = ["Value", "Neuron", "Layer", "MLP", "cross_entropy", "numpy_engine"]
