"""Plain data across the process boundary: JSON, with tensors as raw little-endian bytes.

The grader never unpickles anything that a submission produced. A child process sends its
answers as JSON text; a tensor travels as ``{"__tensor__": dtype, "shape": [...], "b64":
...}`` holding the exact bytes of its values, so floats come back bit for bit. Decoding
accepts only the dtypes below and checks that the byte count matches the shape, so a
hostile child can send wrong numbers but never code.

    >>> decode(encode({"w": torch.tensor([1.5, -2.0]), "n": 3}))
    {'w': tensor([ 1.5000, -2.0000]), 'n': 3}
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
import torch

__all__ = ["encode", "decode", "to_plain", "from_plain", "WireError"]

_DTYPES = {"float64": torch.float64, "float32": torch.float32, "float16": torch.float16,
           "bfloat16": torch.bfloat16, "int64": torch.int64, "int32": torch.int32,
           "bool": torch.bool}
_NAMES = {v: k for k, v in _DTYPES.items()}
MAX_DEPTH = 32          # nesting of lists/dicts
MAX_ELEMENTS = 2**24    # numbers in one tensor (128 MB of float64)


class WireError(ValueError):
    """Data that cannot cross the boundary (an object, a cycle, a malformed tensor)."""


def to_plain(obj: Any, _depth: int = 0) -> Any:
    """``obj`` as JSON-ready data: tensors become tagged dicts, tuples become lists."""
    if _depth > MAX_DEPTH:
        raise WireError(f"data nested deeper than {MAX_DEPTH} levels")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        obj = torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, torch.Tensor):
        # torch.Tensor.* so a tensor subclass cannot override how it is read.
        t = torch.Tensor.detach(obj).cpu().contiguous()
        if t.dtype not in _NAMES:
            raise WireError(f"tensors of dtype {t.dtype} cannot be sent; use float64 or int64")
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        return {"__tensor__": _NAMES[t.dtype], "shape": list(t.shape),
                "b64": base64.b64encode(raw).decode("ascii")}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v, _depth + 1) for v in obj]
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise WireError("dict keys must be strings")
        return {k: to_plain(v, _depth + 1) for k, v in obj.items()}
    raise WireError(f"a {type(obj).__name__} cannot be sent; return tensors, numbers or lists")


def from_plain(obj: Any, _depth: int = 0) -> Any:
    """The inverse of :func:`to_plain`; validates every tagged tensor."""
    if _depth > MAX_DEPTH:
        raise WireError(f"data nested deeper than {MAX_DEPTH} levels")
    if isinstance(obj, list):
        return [from_plain(v, _depth + 1) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return _tensor(obj)
        return {k: from_plain(v, _depth + 1) for k, v in obj.items()}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise WireError(f"unexpected {type(obj).__name__} in plain data")


def _tensor(obj: dict) -> torch.Tensor:
    name, shape, b64 = obj.get("__tensor__"), obj.get("shape"), obj.get("b64")
    if name not in _DTYPES or not isinstance(shape, list) or not isinstance(b64, str):
        raise WireError(f"malformed tensor record (dtype {name!r})")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise WireError(f"malformed tensor shape {shape!r}")
    numel = math.prod(shape)
    if numel > MAX_ELEMENTS:
        raise WireError(f"tensor of {numel} elements is larger than the limit {MAX_ELEMENTS}")
    dtype = _DTYPES[name]
    raw = base64.b64decode(b64.encode("ascii"), validate=True)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if len(raw) != numel * itemsize:
        raise WireError(f"tensor of shape {shape} needs {numel * itemsize} bytes, got {len(raw)}")
    if numel == 0:
        return torch.empty(shape, dtype=dtype)
    if dtype == torch.bfloat16:
        return torch.frombuffer(bytearray(raw), dtype=torch.int16).view(dtype).reshape(shape)
    np_dtype = torch.empty((), dtype=dtype).numpy().dtype.newbyteorder("<")
    return torch.from_numpy(np.frombuffer(raw, dtype=np_dtype).astype(np_dtype.newbyteorder(
        "="))).reshape(shape).clone()


def encode(obj: Any) -> str:
    """``obj`` (tensors, numbers, strings, lists, dicts) as one line of JSON text."""
    return json.dumps(to_plain(obj), separators=(",", ":"), allow_nan=True)


def decode(text: str | bytes) -> Any:
    """Parse what :func:`encode` wrote; raises WireError on anything else."""
    try:
        return from_plain(json.loads(text))
    except (ValueError, TypeError, RecursionError) as err:
        if isinstance(err, WireError):
            raise
        raise WireError(f"not valid plain data: {err}") from None
