#!/usr/bin/env python3
"""Exports a PyTorch nn.GRU and an input batch in the files `gru-examples run-gru` reads, and checks
the result against PyTorch. Needs torch and safetensors (pip install torch safetensors).

    python3 export_gru.py            # writes my-weights.safetensors and my-input.safetensors
    ./gru-examples run-gru --weights my-weights.safetensors --input my-input.safetensors --output my-output.safetensors
    python3 export_gru.py check      # compares my-output.safetensors with PyTorch's own y and h_n

To export your own GRU, replace `gru`, `x` and `h0` below: for a GRU inside a model, keep the
entries of the model's state_dict that start with its name, without that prefix, e.g.
{k.removeprefix("gru."): v for k, v in model.state_dict().items() if k.startswith("gru.")}.
"""
import sys

import torch
from safetensors.torch import load_file, save_file

torch.manual_seed(0)
gru = torch.nn.GRU(input_size=3, hidden_size=4, num_layers=2, batch_first=True)  # batch_first: x is [B, T, I]
x = torch.randn(2, 5, 3)    # [B, T, I]
h0 = torch.zeros(2, 2, 4)   # [L, B, H]; optional (zeros when absent)

if sys.argv[1:] != ["check"]:
    # Only weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}; float32 or float64, the same for weights and input.
    save_file({k: v.detach().contiguous() for k, v in gru.state_dict().items()}, "my-weights.safetensors")
    save_file({"x": x, "h0": h0}, "my-input.safetensors")
else:
    out = load_file("my-output.safetensors")
    with torch.no_grad():
        y, h_n = gru(x, h0)
    print("max |y - PyTorch|:", (out["y"] - y).abs().max().item(), " max |h_n - PyTorch|:", (out["h_n"] - h_n).abs().max().item())
