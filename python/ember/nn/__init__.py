"""ember.nn: Module and Parameter, the layers, nn.functional, nn.init and nn.utils, with
PyTorch's names and behaviour."""
from . import functional, init, utils  # noqa: F401
from .modules import (BatchNorm1d, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Flatten, GELU,  # noqa: F401
                      Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax, Module, ModuleDict, ModuleList,
                      MSELoss, NLLLoss, ParameterDict, ParameterList, ReLU, Sequential, Sigmoid, Softmax, Tanh,
                      Unflatten)
from .modules import ELU, SELU, Hardtanh, LogSigmoid, Mish, ReLU6, SiLU, Softplus  # noqa: F401
from .parameter import Parameter  # noqa: F401
