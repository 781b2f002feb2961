"""Neural-network building blocks with PyTorch's names: ``Module``,
``Parameter``, containers, layers, losses, ``functional`` and initialisers.
Works on both engines (a layer's parameters live on the engine active when
it was built)."""
from . import functional, init, parallel, utils
from .activation import (
                     CELU,
                     ELU,
                     GELU,
                     GLU,
                     SELU,
                     Hardsigmoid,
                     Hardswish,
                     Hardtanh,
                     LeakyReLU,
                     LogSigmoid,
                     LogSoftmax,
                     Mish,
                     MultiheadAttention,
                     ReLU,
                     ReLU6,
                     Sigmoid,
                     SiLU,
                     Softmax,
                     Softmin,
                     Softplus,
                     Softsign,
                     Tanh,
                     Tanhshrink,
)
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .layers import (
                     Bilinear,
                     Dropout,
                     Dropout1d,
                     Dropout2d,
                     Embedding,
                     Flatten,
                     Identity,
                     Linear,
                     Unflatten,
)
from .loss import (
                     BCELoss,
                     BCEWithLogitsLoss,
                     CrossEntropyLoss,
                     HuberLoss,
                     KLDivLoss,
                     L1Loss,
                     MSELoss,
                     NLLLoss,
                     SmoothL1Loss,
)
from .module import Buffer, Module, Parameter, RemovableHandle, StateDictError
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from .padding import (
                     CircularPad1d,
                     CircularPad2d,
                     ConstantPad1d,
                     ConstantPad2d,
                     PReLU,
                     ReflectionPad1d,
                     ReflectionPad2d,
                     ReplicationPad1d,
                     ReplicationPad2d,
                     Softmax2d,
                     Upsample,
                     ZeroPad1d,
                     ZeroPad2d,
)
from .pooling import (
                     AdaptiveAvgPool1d,
                     AdaptiveAvgPool2d,
                     AdaptiveMaxPool1d,
                     AdaptiveMaxPool2d,
                     AvgPool1d,
                     AvgPool2d,
                     MaxPool1d,
                     MaxPool2d,
)
from .transformer import (
                     TransformerDecoder,
                     TransformerDecoderLayer,
                     TransformerEncoder,
                     TransformerEncoderLayer,
)

__all__ = [
    "functional", "init", "utils", "parallel", "Module", "Parameter", "Buffer", "RemovableHandle",
    "StateDictError", "ModuleList", "Sequential", "ModuleDict", "ParameterList", "ParameterDict",
    "Linear", "Bilinear", "Identity", "Flatten", "Unflatten", "Dropout", "Dropout1d",
    "Dropout2d", "Embedding",
    "ReLU", "ReLU6", "Sigmoid", "Tanh", "GELU", "SiLU", "LeakyReLU", "ELU", "SELU", "CELU",
    "Softplus", "Mish", "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid", "Softsign",
    "Tanhshrink", "Softmax", "LogSoftmax", "Softmin", "GLU", "MultiheadAttention",
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
    "Upsample", "PReLU", "Softmax2d",
    "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "RMSNorm",
    "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder",
    "L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "SmoothL1Loss", "HuberLoss", "KLDivLoss",
]
