"""ember.optim.lr_scheduler: learning-rate schedules with torch.optim.lr_scheduler's step() semantics."""
from .annealing import CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR
from .base import LRScheduler
from .decay import ExponentialLR, LambdaLR, LinearLR, MultiStepLR, StepLR
from .plateau import ReduceLROnPlateau
from .sequential import SequentialLR

__all__ = ["LambdaLR", "StepLR", "MultiStepLR", "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR",
           "ReduceLROnPlateau", "CosineAnnealingWarmRestarts", "OneCycleLR", "LRScheduler"]
