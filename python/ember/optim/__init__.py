"""ember.optim: optimizers whose updates run natively, one call per param group per step."""
from . import lr_scheduler  # noqa: F401
from .adam import Adam  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adamw import AdamW  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .sgd import SGD  # noqa: F401
