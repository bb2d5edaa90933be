"""Optimizers and learning-rate schedules, with torch.optim's names, defaults and update rules
(and optax's for the optimizers PyTorch lacks: Lion, AdaBelief, Yogi, LAMB, Lookahead,
ScheduleFreeSGD, ScheduleFreeAdamW).

The update rules themselves live in ``functional`` as small in-place functions on NumPy
arrays; the classes here hold parameter groups and state and call them. ``registry`` names
them for the command line, the lab, the sweep and the estimators.
"""
from minigrad.optim import functional, lr_scheduler
from minigrad.optim.adabelief import AdaBelief
from minigrad.optim.adadelta import Adadelta
from minigrad.optim.adagrad import AdaGrad, Adagrad
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.adamax import Adamax
from minigrad.optim.asgd import ASGD
from minigrad.optim.lamb import LAMB
from minigrad.optim.lbfgs import LBFGS
from minigrad.optim.lion import Lion
from minigrad.optim.lookahead import Lookahead
from minigrad.optim.nadam import NAdam
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.radam import RAdam
from minigrad.optim.rmsprop import RMSProp, RMSprop
from minigrad.optim.rprop import Rprop
from minigrad.optim.schedule_free import ScheduleFreeAdamW, ScheduleFreeSGD
from minigrad.optim.sgd import SGD, Momentum
from minigrad.optim.yogi import Yogi
from minigrad.optim import registry  # noqa: E402  (reads the classes above)

__all__ = [
    "Optimizer", "SGD", "Momentum", "AdaGrad", "Adagrad", "RMSProp", "RMSprop", "Adam", "AdamW",
    "Adamax", "Adadelta", "NAdam", "RAdam", "Rprop", "ASGD", "LBFGS",
    "Lion", "AdaBelief", "Yogi", "LAMB", "Lookahead", "ScheduleFreeSGD", "ScheduleFreeAdamW",
    "functional", "lr_scheduler", "registry",
]
