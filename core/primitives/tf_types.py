"""The TensorFlow op type each primitive shows as (`Operation.type`, TensorBoard graphs); a
primitive not listed shows its own name."""

TF_OP_TYPES = {
    "add": "AddV2", "sub": "Sub", "mul": "Mul", "div": "RealDiv", "pow": "Pow", "neg": "Neg",
    "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "sign": "Sign", "tanh": "Tanh",
    "sigmoid": "Sigmoid", "relu": "Relu", "square": "Square", "maximum": "Maximum",
    "minimum": "Minimum", "matmul": "MatMul", "sum": "Sum", "mean": "Mean", "max": "Max",
    "min": "Min", "argmax": "ArgMax", "argmin": "ArgMin", "softmax": "Softmax",
    "log_softmax": "LogSoftmax", "reshape": "Reshape", "transpose": "Transpose",
    "expand_dims": "ExpandDims", "squeeze": "Squeeze", "cast": "Cast", "identity": "Identity",
    "stop_gradient": "StopGradient", "concat": "ConcatV2", "stack": "Pack", "gather": "GatherV2",
    "where": "SelectV2", "eq": "Equal", "ne": "NotEqual", "lt": "Less", "le": "LessEqual",
    "gt": "Greater", "ge": "GreaterEqual", "relu_grad": "ReluGrad", "sigmoid_grad": "SigmoidGrad",
    "tanh_grad": "TanhGrad", "fill_like": "Fill", "broadcast_to": "BroadcastTo",
    "random_normal": "RandomStandardNormal", "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
}  # fmt: skip
