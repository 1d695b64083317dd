"""Trains and writes models/ned.onnx: the near-end detector ("is the customer talking over the agent?").

Why: Silero scores a customer who talks 12-15 dB under the agent's echo 0.0-0.3 for 300 ms and more
on the canceller's output, and the canceller's full-band figures cannot tell that customer from a
residual-echo burst or babble (src/frontend/README.md, "Measured"). Per band they can: a voice raises
the error above its residual-echo estimate in the bands where the echo is weak at that moment. This
is a small MLP over the canceller's per-band figures (aec.onnx output `feat`: 4 log10 ratios x 21
bands per 10 ms hop) of the last T hops plus a slow average of them, run once per hop.

Data: `npm run bench -- ned-data --seeds 1101-1140 --out FILE` (bench/ned-data.ts) runs the
front-end over the *training* corpus: other sentences, other espeak-ng voices (~300 of them) and
other seeds than the evaluation corpus of `bench frontend`. Rows of seeds 2001-2004
(`ned-data --talkers validation`: voices and sentences held out of training) only report the
validation figures per epoch; thresholds are chosen on those talkers in `bench frontend`. Label: the
noise-free customer at the microphone within 25 dB of their active level over the hop's window.
Trained on far-end-active hops only (the pipeline asks the detector only then), weighted BCE (the
first 300 ms of a customer utterance x3: onsets are what a barge-in needs; agent-only hops x2: where
a start is false), Adam, numpy only (Debian python3-numpy; no torch needed at this size).

Graph: x [1, (T+1)*F] (newest hop first, the slow average last) -> MatMul+Add+Relu (H1) ->
MatMul+Add+Relu (H2) -> MatMul+Add -> Sigmoid -> p [1,1]. The input standardisation is folded into
the first layer. build_graph() is deterministic: the same weights give the same bytes, and
`ned.py --check` rebuilds models/ned.onnx from its own weights and compares bytes (the test does).

Run:  /usr/bin/python3 models/gen/ned.py DATA.f32 [MORE.f32 ...] [--out=DIR]
                                                    (train + write models/ned.onnx, ned.json)
      /usr/bin/python3 models/gen/ned.py --check        (rebuild from the file's weights, compare)
"""
import os
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(__file__))
from graph import G, write_model  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..")

F = 84             # aec.onnx `feat`: 4 ratios x 21 bands
T = 10             # hops of context (100 ms), newest first
ALPHA = 0.97       # the slow average's per-hop smoothing (~330 ms)
H1, H2 = 32, 16
LABEL_DB = -25.0   # customer within this of their active level = talking
VALIDATION_SEEDS = range(2001, 2005)   # VALIDATION_TALKERS' seeds; the rest of the data trains
EPOCHS = 6
BATCH = 512
LR = 2e-3
D = (T + 1) * F


def load(paths):
    d = np.concatenate([np.fromfile(p, dtype=np.float32).reshape(-1, F + 5) for p in paths])
    feat, near_db, far, since, agent_only, case = (d[:, :F], d[:, F], d[:, F + 1], d[:, F + 2], d[:, F + 3],
                                                   d[:, F + 4].astype(np.int64))
    # hop number within its case (the runtime's history is zeros after a reset)
    start = np.r_[0, np.flatnonzero(np.diff(case)) + 1]
    hop = np.arange(len(case)) - np.repeat(start, np.diff(np.r_[start, len(case)]))
    # the slow average, per case, as the runtime computes it (from zeros at reset)
    ema = np.zeros_like(feat)
    acc = np.zeros(F, np.float32)
    for i in range(len(feat)):
        if hop[i] == 0:
            acc[:] = 0
        acc = ALPHA * acc + (1 - ALPHA) * feat[i]
        ema[i] = acc
    return dict(feat=feat, ema=ema, hop=hop, y=(near_db > LABEL_DB).astype(np.float32), far=far > 0.5,
                since=since, agent_only=agent_only > 0.5, case=case, seed=case // 100)


def inputs(data, idx):
    """[len(idx), D]: the T newest hops' figures (zeros before the case's first hop), then the average."""
    x = np.zeros((len(idx), D), np.float32)
    for t in range(T):
        src = idx - t
        ok = data["hop"][idx] >= t
        x[ok, t * F:(t + 1) * F] = data["feat"][src[ok]]
    x[:, T * F:] = data["ema"][idx]
    return x


def weights_for(data, idx):
    w = np.ones(len(idx), np.float32)
    onset = (data["since"][idx] >= 0) & (data["since"][idx] < 300)
    w[onset & (data["y"][idx] > 0)] *= 3.0
    w[data["agent_only"][idx]] *= 2.0
    return w


def forward(p, x):
    z1 = x @ p["W1"] + p["b1"]
    a1 = np.maximum(z1, 0)
    z2 = a1 @ p["W2"] + p["b2"]
    a2 = np.maximum(z2, 0)
    z3 = (a2 @ p["W3"] + p["b3"])[:, 0]
    return z1, a1, z2, a2, z3


def train(data, tr, va, log=print):
    rng = np.random.default_rng(0)
    # standardisation from the training rows (folded into the first layer afterwards)
    sample = inputs(data, rng.choice(tr, size=min(len(tr), 200000), replace=False))
    mu, sd = sample.mean(0), sample.std(0) + 1e-3
    p = {
        "W1": (rng.standard_normal((D, H1)) * np.sqrt(2 / D)).astype(np.float32), "b1": np.zeros(H1, np.float32),
        "W2": (rng.standard_normal((H1, H2)) * np.sqrt(2 / H1)).astype(np.float32), "b2": np.zeros(H2, np.float32),
        "W3": (rng.standard_normal((H2, 1)) * np.sqrt(1 / H2)).astype(np.float32), "b3": np.zeros(1, np.float32),
    }
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    step = 0
    for epoch in range(EPOCHS):
        t0 = time.time()
        lr = LR * (0.5 ** (epoch // 2))
        order = rng.permutation(tr)
        total = 0.0
        for b in range(0, len(order), BATCH):
            idx = order[b:b + BATCH]
            x = (inputs(data, idx) - mu) / sd
            y, w = data["y"][idx], weights_for(data, idx)
            z1, a1, z2, a2, z3 = forward(p, x)
            q = 1 / (1 + np.exp(-z3))
            total += float(np.sum(w * (np.logaddexp(0, z3) - y * z3)))
            g3 = (w * (q - y) / w.sum())[:, None]
            grads = {"W3": a2.T @ g3, "b3": g3.sum(0)}
            g2 = (g3 @ p["W3"].T) * (z2 > 0)
            grads["W2"], grads["b2"] = a1.T @ g2, g2.sum(0)
            g1 = (g2 @ p["W2"].T) * (z1 > 0)
            grads["W1"], grads["b1"] = x.T @ g1, g1.sum(0)
            step += 1
            for k in p:
                gk = grads[k] + (1e-4 * p[k] if k.startswith("W") else 0)
                m[k] = 0.9 * m[k] + 0.1 * gk
                v[k] = 0.999 * v[k] + 0.001 * gk * gk
                p[k] -= (lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)).astype(np.float32)
        pv = predict(p, mu, sd, data, va)
        log(f"epoch {epoch + 1}: train loss {total / len(tr):.4f}, validation {summary(data, va, pv)} ({time.time() - t0:.0f} s)")
    # fold the standardisation into the first layer: ((x - mu) / sd) W1 + b1 = x (W1 / sd) + (b1 - (mu / sd) W1)
    W1 = p["W1"] / sd[:, None]
    b1 = p["b1"] - (mu / sd) @ p["W1"]
    return dict(W1=W1.astype(np.float32), b1=b1.astype(np.float32), W2=p["W2"], b2=p["b2"], W3=p["W3"], b3=p["b3"])


def predict(p, mu, sd, data, idx):
    out = np.empty(len(idx), np.float32)
    for b in range(0, len(idx), 8192):
        x = (inputs(data, idx[b:b + 8192]) - mu) / sd
        out[b:b + 8192] = 1 / (1 + np.exp(-forward(p, x)[4]))
    return out


def summary(data, idx, prob):
    y = data["y"][idx] > 0
    pos, neg = prob[y], prob[~y]
    ao = data["agent_only"][idx] & ~y
    onset = y & (data["since"][idx] < 300)
    return (f"acc {np.mean((prob > 0.5) == y):.3f}, agent-only hops >= 0.5: {np.mean(prob[ao] >= 0.5) * 100:.2f} %, "
            f"onset hops >= 0.5: {np.mean(prob[onset] >= 0.5) * 100:.1f} %, mean p pos/neg {pos.mean():.2f}/{neg.mean():.3f}")


def build_graph(w):
    """The detector as an ONNX graph; deterministic for given weights."""
    g = G("voiceterm_ned")
    x = g.input("x", [1, D])
    h = g.op("Relu", g.add(g.mm(x, g.const(w["W1"])), g.const(w["b1"][None, :])))
    h = g.op("Relu", g.add(g.mm(h, g.const(w["W2"])), g.const(w["b2"][None, :])))
    p = g.op("Sigmoid", g.add(g.mm(h, g.const(w["W3"])), g.const(w["b3"][None, :])))
    g.output(p, "p", [1, 1])
    return g.model("voiceterm near-end detector: MLP over the echo canceller's per-band figures; "
                   "trained and generated by models/gen/ned.py")


def weights_of(model):
    """The weights back out of a model build_graph() wrote (initialisers in creation order)."""
    arrs = [numpy_helper.to_array(t) for t in model.graph.initializer]
    W1, b1, W2, b2, W3, b3 = arrs
    return dict(W1=W1, b1=b1[0], W2=W2, b2=b2[0], W3=W3, b3=b3[0])


def meta(train_seeds=()):
    return dict(features=F, history=T, alpha=ALPHA, input=D, hidden=[H1, H2], label_db=LABEL_DB,
                train_seeds=sorted(int(s) for s in train_seeds),
                validation_seeds=list(VALIDATION_SEEDS), trained_on="far-end-active hops, TRAINING_TALKERS")


def write(model, out_dir=MODELS, train_seeds=()):
    write_model(out_dir, "ned", model, meta(train_seeds), "models/gen/ned.py")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(MODELS, "ned.onnx")
        with open(path, "rb") as fh:
            raw = fh.read()
        again = build_graph(weights_of(onnx.load_from_string(raw))).SerializeToString()
        print("ned.onnx: identical" if again == raw else "ned.onnx: DIFFERS from build_graph() of its weights")
        sys.exit(0 if again == raw else 1)
    files = [a for a in sys.argv[1:] if not a.startswith("--out=")]
    out_dir = next((a[6:] for a in sys.argv[1:] if a.startswith("--out=")), MODELS)
    data = load(files)
    rows = np.arange(len(data["y"]))
    held = np.isin(data["seed"], list(VALIDATION_SEEDS))
    tr, va = rows[data["far"] & ~held], rows[data["far"] & held]
    train_seeds = np.unique(data["seed"][tr])
    print(f"{len(tr)} training hops ({len(train_seeds)} seeds), {len(va)} validation hops, "
          f"positives {data['y'][tr].mean() * 100:.1f} %")
    w = train(data, tr, va)
    model = build_graph(w)
    write(model, out_dir, train_seeds)
    print(f"ned.onnx: {len(model.graph.node)} nodes, input {D}")
