"""ember.nn: Module and Parameter, the layers, nn.functional, nn.init and nn.utils, with
PyTorch's names and behaviour."""
from . import functional, init, parallel, utils  # noqa: F401
from .modules import (ELU, GELU, SELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d,  # noqa: F401
                      BCELoss, BCEWithLogitsLoss, Conv2d, CrossEntropyLoss, Dropout, Embedding, Flatten, GroupNorm,
                      Hardtanh, HuberLoss, Identity, KLDivLoss, L1Loss, LayerNorm, LeakyReLU, Linear, LogSigmoid,
                      LogSoftmax, MaxPool2d, Mish, Module, ModuleDict, ModuleList, MSELoss, NLLLoss, ParameterDict,
                      ParameterList, ReLU, ReLU6, RMSNorm, Sequential, Sigmoid, SiLU, SmoothL1Loss, Softmax,
                      Softplus, Tanh, Unflatten)
from .parameter import Parameter  # noqa: F401
