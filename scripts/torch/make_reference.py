#!/usr/bin/env python3
"""PyTorch reference vectors for jgrad's recurrent-layer parity tests.

Usage (run by hand with Debian's python3, which has python3-torch; CI and the tests never run it):

    /usr/bin/python3 scripts/torch/make_reference.py [OUTPUT_DIR]

OUTPUT_DIR defaults to nn-layers/src/test/resources/torch/ next to this script's repository root.
Each case becomes one safetensors file, written by hand (struct + json + numpy bytes) because the
Python `safetensors` package is not installed; the layout is the format's: 8-byte little-endian
header length, JSON header padded with spaces to a multiple of 8, little-endian data.

For nn.GRU, nn.LSTM and nn.RNN (batch_first=True), with fixed seeds, a case holds:
  * the module's state_dict under PyTorch's names (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k},
    bias_hh_l{k}; biases absent when bias=False),
  * inputs x [B, T, I] and, when the case uses them, h0 [L, B, H] (and c0 for the LSTM),
  * random cotangents dy [B, T, H], dh_n [L, B, H] (and dc_n),
  * outputs y, h_n (and c_n),
  * gradients, by torch.autograd.grad of (y*dy).sum() + (h_n*dh_n).sum() (+ (c_n*dc_n).sum()),
    of x, h0 (c0) and every weight, named grad.x, grad.h0, grad.c0, grad.<state_dict name>,
  * metadata: torch version, case description, module kind and sizes, dtype.
Float64 cases run under torch.set_default_dtype(torch.float64); the *_f32 cases run in float32.

It also writes dtypes.safetensors: F16 and BF16 tensors made by torch's own conversions, with their
float32 values, so the reader's half-precision decoding is checked against PyTorch's; and
char_model.safetensors: a whole model (embedding, two-layer nn.GRU, linear) under nn.Module's
state_dict names, token inputs, its logits, and an I64 and a BOOL buffer for the lenient reader.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

NUMPY_LE = {torch.float64: ("F64", "<f8"), torch.float32: ("F32", "<f4")}
# dtypes jgrad does not hold, written only to check that its lenient reader skips them by name
NUMPY_OTHER = {torch.int64: ("I64", "<i8"), torch.bool: ("BOOL", "u1")}


def save_safetensors(path, tensors, metadata):
    """Writes tensors (name -> torch.Tensor) in sorted name order, as the safetensors format does."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype in NUMPY_LE or t.dtype in NUMPY_OTHER:
            dtype, np_type = NUMPY_LE.get(t.dtype) or NUMPY_OTHER[t.dtype]
            blob = t.numpy().astype(np_type).tobytes()
        elif t.dtype in (torch.float16, torch.bfloat16):
            # numpy has no bfloat16: take the raw 16-bit patterns
            dtype = "F16" if t.dtype == torch.float16 else "BF16"
            blob = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)
    return 8 + len(text) + offset


def make_case(out_dir, name, kind, description, input_size, hidden, layers, batch, steps, *,
              seed, bias=True, initial_state=True, weight_scale=1.0, input_scale=1.0, dtype=torch.float64):
    torch.manual_seed(seed)
    module_type = {"GRU": torch.nn.GRU, "LSTM": torch.nn.LSTM, "RNN": torch.nn.RNN}[kind]
    module = module_type(input_size, hidden, num_layers=layers, bias=bias, batch_first=True).to(dtype)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(weight_scale)
    lstm = kind == "LSTM"
    x = (torch.randn(batch, steps, input_size, dtype=dtype) * input_scale).requires_grad_()
    h0 = torch.randn(layers, batch, hidden, dtype=dtype).requires_grad_() if initial_state else None
    c0 = torch.randn(layers, batch, hidden, dtype=dtype).requires_grad_() if initial_state and lstm else None
    dy = torch.randn(batch, steps, hidden, dtype=dtype)
    dh_n = torch.randn(layers, batch, hidden, dtype=dtype)
    dc_n = torch.randn(layers, batch, hidden, dtype=dtype) if lstm else None

    if lstm:
        y, (h_n, c_n) = module(x, (h0, c0) if initial_state else None)
    else:
        y, h_n = module(x, h0)
        c_n = None
    objective = (y * dy).sum() + (h_n * dh_n).sum()
    if lstm:
        objective = objective + (c_n * dc_n).sum()

    weights = dict(module.named_parameters())
    wrt = {"x": x}
    if initial_state:
        wrt["h0"] = h0
        if lstm:
            wrt["c0"] = c0
    wrt.update(weights)
    grads = torch.autograd.grad(objective, list(wrt.values()))

    tensors = {n: p for n, p in weights.items()}
    tensors.update({"x": x, "dy": dy, "dh_n": dh_n, "y": y, "h_n": h_n})
    if initial_state:
        tensors["h0"] = h0
    if lstm:
        tensors.update({"dc_n": dc_n, "c_n": c_n})
        if initial_state:
            tensors["c0"] = c0
    for n, g in zip(wrt, grads):
        tensors["grad." + n] = g
    metadata = {
        "torch_version": torch.__version__,
        "description": description,
        "kind": kind,
        "input_size": str(input_size),
        "hidden_size": str(hidden),
        "num_layers": str(layers),
        "batch": str(batch),
        "steps": str(steps),
        "bias": str(bias).lower(),
        "initial_state": str(initial_state).lower(),
        "batch_first": "true",
        "dtype": NUMPY_LE[dtype][0],
        "seed": str(seed),
    }
    if weight_scale != 1.0:
        metadata["saturated_gates_l0_t0"] = "%.2f" % saturated_fraction(module, x, kind, hidden)
    path = os.path.join(out_dir, name + ".safetensors")
    size = save_safetensors(path, tensors, metadata)
    saturation = f" (saturated gates at layer 0, step 0: {metadata['saturated_gates_l0_t0']})" if weight_scale != 1.0 else ""
    print(f"wrote {path} ({size} bytes, {len(tensors)} tensors): {description}{saturation}")


def saturated_fraction(module, x, kind, hidden):
    """Fraction of layer 0's sigmoid gates at step 0 (zero state) within 1e-3 of 0 or 1: evidence a case saturates."""
    with torch.no_grad():
        pre = x[:, 0, :] @ module.weight_ih_l0.T
        if module.bias:
            pre = pre + module.bias_ih_l0 + module.bias_hh_l0
        # sigmoid gate blocks: GRU r, z (rows 0..2H); LSTM i, f (0..2H) and o (3H..4H)
        rows = list(range(2 * hidden)) + (list(range(3 * hidden, 4 * hidden)) if kind == "LSTM" else [])
        s = torch.sigmoid(pre[:, rows])
        return ((s < 1e-3) | (s > 1 - 1e-3)).double().mean().item()


class CharModel(torch.nn.Module):
    """The shape of gru-examples' character model: embedding, a batch-first nn.GRU, a linear output layer."""

    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, embed)
        self.rnn = torch.nn.GRU(embed, hidden, num_layers=layers, batch_first=True)
        self.output = torch.nn.Linear(hidden, vocab)

    def forward(self, tokens):
        return self.output(self.rnn(self.embedding(tokens))[0])


def make_model(out_dir):
    """A whole model's state_dict under nn.Module names, token inputs and its logits, plus two buffers of
    dtypes jgrad does not hold (I64, BOOL) as real state_dicts carry them."""
    torch.manual_seed(31)
    model = CharModel(vocab=7, embed=3, hidden=4, layers=2)
    tokens = torch.randint(0, 7, (2, 5))
    logits = model(tokens)
    tensors = dict(model.state_dict())
    tensors.update({"tokens": tokens.double(), "logits": logits,
                    "buffers.num_batches_tracked": torch.tensor(12, dtype=torch.int64),
                    "buffers.padding_mask": tokens > 3})
    metadata = {"torch_version": torch.__version__,
                "description": "embedding(7, 3) -> nn.GRU(3, 4, num_layers=2, batch_first) -> nn.Linear(4, 7) on tokens [2, 5]",
                "state_dict_keys": json.dumps(list(model.state_dict().keys()))}
    path = os.path.join(out_dir, "char_model.safetensors")
    size = save_safetensors(path, tensors, metadata)
    print(f"wrote {path} ({size} bytes, {len(tensors)} tensors): a whole model under nn.Module names")


def make_dtypes(out_dir):
    torch.manual_seed(99)
    values = torch.cat([
        torch.randn(12, dtype=torch.float32) * 10,
        torch.tensor([0.0, -0.0, 1.0, -2.0, 65504.0, 6e-8, 1e-40, float("inf"), float("-inf"), 3.0e38],
                     dtype=torch.float32),
    ])
    half = values.half()          # 3.0e38 overflows to inf, 1e-40 flushes to 0: PyTorch's rounding
    brain = values.bfloat16()
    tensors = {"f16": half.reshape(2, 11), "f16.as_f32": half.float().reshape(2, 11),
               "bf16": brain, "bf16.as_f32": brain.float()}
    path = os.path.join(out_dir, "dtypes.safetensors")
    size = save_safetensors(path, tensors, {"torch_version": torch.__version__,
                                            "description": "F16/BF16 from torch's .half()/.bfloat16(), with .float() of each"})
    print(f"wrote {path} ({size} bytes, {len(tensors)} tensors): half-precision decoding")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "nn-layers", "src", "test", "resources", "torch")
    os.makedirs(out_dir, exist_ok=True)
    f64, f32 = torch.float64, torch.float32
    cases = [
        # name, kind, description, I, H, L, B, T, options
        ("gru_basic", "GRU", "one layer, with h0", 3, 4, 1, 2, 5, dict(seed=1)),
        ("gru_deep", "GRU", "three layers, with h0", 5, 3, 3, 2, 4, dict(seed=2)),
        ("gru_batch1_zero_state", "GRU", "batch 1, two layers, no h0 (zeros)", 4, 3, 2, 1, 3, dict(seed=3, initial_state=False)),
        ("gru_one_step", "GRU", "a single time step, with h0", 2, 5, 1, 3, 1, dict(seed=4)),
        ("gru_saturating", "GRU", "weights x8 and inputs x3: many gates saturate", 3, 4, 2, 2, 6,
         dict(seed=5, weight_scale=8.0, input_scale=3.0)),
        ("gru_no_bias", "GRU", "bias=False, two layers, with h0", 3, 4, 2, 2, 4, dict(seed=6, bias=False)),
        ("gru_f32", "GRU", "float32, two layers, with h0", 3, 4, 2, 2, 5, dict(seed=7, dtype=f32)),
        ("lstm_basic", "LSTM", "one layer, with h0 and c0", 3, 4, 1, 2, 5, dict(seed=11)),
        ("lstm_deep", "LSTM", "three layers, with h0 and c0", 5, 3, 3, 2, 4, dict(seed=12)),
        ("lstm_batch1_zero_state", "LSTM", "batch 1, two layers, no h0/c0 (zeros)", 4, 3, 2, 1, 3,
         dict(seed=13, initial_state=False)),
        ("lstm_one_step", "LSTM", "a single time step, with h0 and c0", 2, 5, 1, 3, 1, dict(seed=14)),
        ("lstm_saturating", "LSTM", "weights x8 and inputs x3: many gates saturate", 3, 4, 2, 2, 6,
         dict(seed=15, weight_scale=8.0, input_scale=3.0)),
        ("lstm_no_bias", "LSTM", "bias=False, two layers, with h0 and c0", 3, 4, 2, 2, 4, dict(seed=16, bias=False)),
        ("lstm_f32", "LSTM", "float32, two layers, with h0 and c0", 3, 4, 2, 2, 5, dict(seed=17, dtype=f32)),
        ("rnn_tanh", "RNN", "tanh RNN, two layers, with h0", 3, 4, 2, 2, 5, dict(seed=21)),
    ]
    for name, kind, description, i, h, l, b, t, options in cases:
        make_case(out_dir, name, kind, description, i, h, l, b, t, **options)
    make_dtypes(out_dir)
    make_model(out_dir)


if __name__ == "__main__":
    main()
