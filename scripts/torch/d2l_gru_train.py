#!/usr/bin/env python3
"""The Dive into Deep Learning GRU chapter's training run, in PyTorch, for comparison with
`gru-examples train --d2l-text`.

Run by hand with Debian's python3 (which has python3-torch); never run by CI:

    /usr/bin/python3 scripts/torch/d2l_gru_train.py --corpus ../shared/data/timemachine.txt \
        --epochs 500 --threads 1 --metrics runs/torch-d2l.jsonl

It follows the book's code (d2l 1.0, chapter "Gated Recurrent Units", from-scratch GRU): the text
lowercased with every run of non-letters made one space, a character vocabulary of the 26 letters,
space and <unk>, the first 10,000 characters, sequential partitioning with a random offset per
epoch, hidden 256, batch 32, steps 35, weights N(0, 0.01^2) and zero biases, SGD with lr 1 (the
book's sgd divides by batch_size=1), gradient clipping to norm 1, perplexity per epoch. Each epoch
prints one JSON object: epoch, perplexity, elapsed_seconds, tokens_per_second.
"""
import argparse
import collections
import json
import math
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openblas_core  # noqa: E402  (it must set the core before torch loads OpenBLAS)

openblas_core.choose("d2l_gru_train.py")

import torch  # noqa: E402
from torch.nn import functional as F


def read_time_machine(path):
    with open(path) as f:
        lines = f.readlines()
    return [re.sub('[^A-Za-z]+', ' ', line).strip().lower() for line in lines]


def build_corpus(path, max_tokens):
    lines = read_time_machine(path)
    tokens = [list(line) for line in lines]
    counter = collections.Counter(t for line in tokens for t in line)
    # d2l's Vocab: <unk> first, then tokens by descending frequency (ties in first-seen order)
    idx_to_token = ['<unk>'] + [t for t, _ in sorted(counter.items(), key=lambda x: x[1], reverse=True)]
    token_to_idx = {t: i for i, t in enumerate(idx_to_token)}
    corpus = [token_to_idx[t] for line in tokens for t in line]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return corpus, idx_to_token, token_to_idx


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset: offset + num_tokens])
    Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


def get_params(vocab_size, num_hiddens, dtype):
    def normal(shape):
        return (torch.randn(size=shape) * 0.01).to(dtype)

    def three():
        return (normal((vocab_size, num_hiddens)), normal((num_hiddens, num_hiddens)),
                torch.zeros(num_hiddens, dtype=dtype))

    W_xz, W_hz, b_z = three()
    W_xr, W_hr, b_r = three()
    W_xh, W_hh, b_h = three()
    W_hq = normal((num_hiddens, vocab_size))
    b_q = torch.zeros(vocab_size, dtype=dtype)
    params = [W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]
    for p in params:
        p.requires_grad_(True)
    return params


def gru(inputs, H, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        outputs.append(H @ W_hq + b_q)
    return torch.cat(outputs, dim=0), H


def forward(X, H, params, vocab_size, dtype):
    inputs = F.one_hot(X.T, vocab_size).to(dtype)
    return gru(inputs, H, params)


def grad_clipping(params, theta):
    norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
    if norm > theta:
        for p in params:
            p.grad[:] *= theta / norm
    return float(norm)


def predict(prefix, num_preds, params, vocab, token_to_idx, num_hiddens, dtype):
    H = torch.zeros((1, num_hiddens), dtype=dtype)
    outputs = [token_to_idx.get(prefix[0], 0)]
    with torch.no_grad():
        for y in prefix[1:]:
            _, H = forward(torch.tensor([[outputs[-1]]]), H, params, len(vocab), dtype)
            outputs.append(token_to_idx.get(y, 0))
        for _ in range(num_preds):
            y, H = forward(torch.tensor([[outputs[-1]]]), H, params, len(vocab), dtype)
            outputs.append(int(y.argmax(dim=1).reshape(1)))
    return ''.join(vocab[i] for i in outputs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--epochs', type=int, default=500)
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--steps', type=int, default=35)
    ap.add_argument('--lr', type=float, default=1.0)
    ap.add_argument('--clip', type=float, default=1.0)
    ap.add_argument('--max-tokens', type=int, default=10000)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--dtype', choices=['f32', 'f64'], default='f32')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--metrics', help='also write the JSON lines to this file')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    dtype = torch.float32 if args.dtype == 'f32' else torch.float64
    corpus, vocab, token_to_idx = build_corpus(args.corpus, args.max_tokens)
    params = get_params(len(vocab), args.hidden, dtype)
    out = open(args.metrics, 'w') if args.metrics else None
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total, count, H = 0.0, 0, None
        t0 = time.perf_counter()
        for X, Y in seq_data_iter_sequential(corpus, args.batch, args.steps):
            if H is None:
                H = torch.zeros((X.shape[0], args.hidden), dtype=dtype)
            else:
                H = H.detach()
            y = Y.T.reshape(-1)
            y_hat, H = forward(X, H, params, len(vocab), dtype)
            loss = F.cross_entropy(y_hat, y.long()).mean()
            for p in params:
                p.grad = None
            loss.backward()
            grad_clipping(params, args.clip)
            with torch.no_grad():
                for p in params:
                    p -= args.lr * p.grad
            total += float(loss) * y.numel()
            count += y.numel()
        dt = time.perf_counter() - t0
        rec = {'epoch': epoch, 'perplexity': math.exp(total / count),
               'elapsed_seconds': time.perf_counter() - start, 'tokens_per_second': count / dt,
               'side': 'pytorch', 'threads': args.threads, 'dtype': args.dtype}
        line = json.dumps(rec)
        print(line, flush=True)
        if out:
            out.write(line + '\n')
            out.flush()
        if epoch % 100 == 0 or epoch == args.epochs:
            print('# ' + predict('time traveller', 50, params, vocab, token_to_idx, args.hidden, dtype),
                  file=sys.stderr, flush=True)
    if out:
        out.close()


if __name__ == '__main__':
    main()
