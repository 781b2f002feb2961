"""Neural-network building blocks with PyTorch's names: ``Module``,
``Parameter``, layers, losses and initialisers. Works on both engines (a
layer's parameters live on the engine active when it was built)."""
from . import init, utils
from .module import Module, ModuleList, Parameter, Sequential, StateDictError
from .layers import (Dropout, Embedding, Flatten, Identity, Linear, LogSoftmax, ReLU, Sigmoid,
                     Softmax, Tanh)
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from . import parallel

__all__ = ["init", "utils", "parallel", "Module", "ModuleList", "Parameter", "Sequential", "StateDictError",
           "Dropout", "Embedding", "Flatten", "Identity", "Linear", "LogSoftmax", "ReLU",
           "Sigmoid", "Softmax", "Tanh", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss",
           "NLLLoss"]
