#!/usr/bin/env python3
"""Train the hashed n-gram logistic-regression prompt-injection classifier.

  python train.py                 train on build/train.jsonl, evaluate on dev + held-out,
                                  write model.bin and model.json
  python train.py --folds source  leave-one-source-out report (no model written)

numpy only; deterministic (full-batch, fixed iteration count, no randomness).
The feature function is specified exactly in README.md for the Rust port.
"""
import argparse
import hashlib
import json
import math
import os
import struct
import sys
import unicodedata

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEV_DEFAULT = os.path.normpath(os.path.join(HERE, "../../../../../shared/eval/prompts.jsonl"))
if not os.path.exists(DEV_DEFAULT):
    DEV_DEFAULT = "/work/shared/eval/prompts.jsonl"

# ---------------------------------------------------------------- features
BITS = 16
DIM = 1 << BITS
MAX_CHARS = 4096
WS = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {chr(c) for c in range(0x2000, 0x200C)}
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i",
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ѕ": "s", "ј": "j",
        "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t"}


def is_sep(ch):
    c = ord(ch)
    if c < 0x80:
        return not ("a" <= ch <= "z" or "0" <= ch <= "9")
    return (0x80 <= c <= 0xBF) or c in (0xD7, 0xF7) or (0x2000 <= c <= 0x206F) or \
        (0x3000 <= c <= 0x3003) or c == 0xFEFF


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def normalise(raw):
    s = unicodedata.normalize("NFKC", raw[:MAX_CHARS])
    return "".join(ch.lower() for ch in s)


def views(raw):
    """The three views of the normalised text: chars (whitespace collapsed, padded), words,
    squashed letters."""
    s = normalise(raw)
    out, prev_ws = [], True
    for ch in s:
        if ch in WS:
            if not prev_ws:
                out.append(" ")
            prev_ws = True
        else:
            out.append(ch)
            prev_ws = False
    c = " " + "".join(out).strip(" ") + " "
    words, cur = [], []
    for ch in s:
        if is_sep(ch):
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    q = "".join(m for m in (LEET.get(ch, ch) for ch in s) if "a" <= m <= "z")
    return c, words, q


PRIME = np.uint32(0x01000193)
GOLDEN = np.uint64(0x9E3779B1)
MASK32 = np.uint64(0xFFFFFFFF)


def seed(kind):
    """FNV-1a state after ASCII(kind) and a NUL: each kind of gram hashes apart."""
    return fnv1a(kind.encode() + b"\x00")


def grams(text, n, kind):
    """FNV-1a over the code points (each xored in whole) of every n-char window."""
    cps = np.fromiter(map(ord, text), dtype=np.uint32, count=len(text))
    m = len(cps) - n + 1
    if m <= 0:
        return np.zeros(0, np.uint32)
    h = np.full(m, seed(kind), np.uint32)
    for j in range(n):
        h = (h ^ cps[j:j + m]) * PRIME
    return h


def step(h, v):
    return ((h ^ v) * 0x01000193) & 0xFFFFFFFF


def word_hashes(words):
    """w1: FNV-1a over each word's code points; w2: over each neighbouring pair's w1 hashes."""
    w1 = []
    for w in words:
        h = seed("w1")
        for ch in w:
            h = step(h, ord(ch))
        w1.append(h)
    w2 = [step(step(seed("w2"), a), b) for a, b in zip(w1, w1[1:])]
    return np.array(w1 + w2, dtype=np.uint32)


def bucket(h):
    """Multiply-shift: the top BITS bits of h * 0x9E3779B1 (mod 2^32)."""
    return ((h.astype(np.uint64) * GOLDEN) & MASK32) >> np.uint64(32 - BITS)


_cache = {}


def featurise(raw):
    """Sorted unique bucket indices (binary features); each value is 1/sqrt(count)."""
    key = hashlib.sha256(raw.encode("utf-8")).digest()
    if key in _cache:
        return _cache[key]
    c, words, q = views(raw)
    hs = [grams(c, 4, "c4"), word_hashes(words), grams(q, 5, "q5")]
    arr = np.unique(bucket(np.concatenate(hs)).astype(np.int64))
    _cache[key] = arr
    return arr


class CSR:
    def __init__(self, texts):
        rows = [featurise(t) for t in texts]
        self.n = len(rows)
        lens = np.array([len(r) for r in rows], dtype=np.int64)
        self.ptr = np.concatenate([[0], np.cumsum(lens)])
        self.idx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        self.val = np.repeat(1.0 / np.sqrt(np.maximum(lens, 1)), lens)
        self.row = np.repeat(np.arange(self.n), lens)

    def dot(self, w):
        return np.bincount(self.row, weights=w[self.idx] * self.val, minlength=self.n)

    def tdot(self, g):
        return np.bincount(self.idx, weights=self.val * g[self.row], minlength=DIM)


# ---------------------------------------------------------------- model
def fit(X, y, sw, l2=1e-4, iters=250, lr=2.0):
    """Full-batch Nesterov gradient descent on weighted logistic loss + l2/2*|w|^2."""
    w = np.zeros(DIM)
    b = 0.0
    vw, vb = np.zeros(DIM), 0.0
    mu = 0.9
    for _ in range(iters):
        lw, lb = w + mu * vw, b + mu * vb
        z = X.dot(lw) + lb
        p = 1.0 / (1.0 + np.exp(-z))
        g = sw * (p - y)
        gw = X.tdot(g) + l2 * lw
        gb = g.sum()
        vw = mu * vw - lr * gw
        vb = mu * vb - lr * gb
        w, b = w + vw, b + vb
    return w.astype(np.float32), np.float32(b)


def score(X, w, b):
    return X.dot(w.astype(np.float64)) + float(b)


def weights_for(rows):
    """Each class totals 0.5; within a class a group weighs in proportion to sqrt(its size)."""
    y = np.array([1.0 if r["label"] == "attack" else 0.0 for r in rows])
    cnt = {}
    for r in rows:
        cnt[r["group"]] = cnt.get(r["group"], 0) + 1
    sw = np.array([1.0 / math.sqrt(cnt[r["group"]]) for r in rows])
    for lab in (0.0, 1.0):
        m = y == lab
        if m.any():
            sw[m] *= 0.5 / sw[m].sum()
    return y, sw


def pick_threshold(scores_benign, fpr=0.01):
    """Smallest threshold t with #(benign >= t) <= floor(fpr * n)."""
    s = np.sort(np.asarray(scores_benign))[::-1]
    k = int(math.floor(fpr * len(s)))
    if len(s) == 0:
        return 0.0
    if k >= len(s):
        return float(s[-1])
    return float(np.nextafter(np.float32(s[k]), np.float32(np.inf)))


def is_val(r):
    return int(hashlib.sha256(r["id"].encode()).hexdigest()[:8], 16) % 5 == 0


def wilson(k, n, z=1.959964):
    if n == 0:
        return (float("nan"), float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (p, max(0.0, c - h), min(1.0, c + h))


def fmt(k, n):
    p, lo, hi = wilson(k, n)
    return f"{k}/{n} = {100 * p:5.1f}% [{100 * lo:5.1f}, {100 * hi:5.1f}]"


def rate(rows, flags, label):
    k = sum(1 for r, f in zip(rows, flags) if r["label"] == label and f)
    n = sum(1 for r in rows if r["label"] == label)
    return k, n


# ---------------------------------------------------------------- length baseline
def length_baseline(train_rows, val_rows):
    x = np.array([math.log1p(len(r["text"])) for r in train_rows])
    y, sw = weights_for(train_rows)
    mu_, sd = x.mean(), x.std() + 1e-9
    xs = (x - mu_) / sd
    a, c = 0.0, 0.0
    for _ in range(500):
        p = 1 / (1 + np.exp(-(a * xs + c)))
        g = sw * (p - y)
        a -= 1.0 * (g * xs).sum()
        c -= 1.0 * g.sum()

    def sc(rows):
        return a * (np.array([math.log1p(len(r["text"])) for r in rows]) - mu_) / sd + c

    vb = [s for s, r in zip(sc(val_rows), val_rows) if r["label"] == "benign"]
    return sc, pick_threshold(vb)


def load(p):
    with open(p, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def train_and_threshold(rows, iters):
    tr = [r for r in rows if not is_val(r)]
    va = [r for r in rows if is_val(r)]
    X = CSR([r["text"] for r in tr])
    y, sw = weights_for(tr)
    w, b = fit(X, y, sw, iters=iters)
    Xv = CSR([r["text"] for r in va])
    sv = score(Xv, w, b)
    thr = pick_threshold([s for s, r in zip(sv, va) if r["label"] == "benign"])
    k, n = rate(va, sv >= thr, "attack")
    kb, nb = rate(va, sv >= thr, "benign")
    return w, b, thr, tr, va, {"val_recall": [k, n], "val_fpr": [kb, nb]}


def report_groups(rows, flags, keyf):
    out = {}
    keys = sorted({keyf(r) for r in rows})
    for key in keys:
        sub = [(r, f) for r, f in zip(rows, flags) if keyf(r) == key]
        rs = [r for r, _ in sub]
        fs = [f for _, f in sub]
        lab = rs[0]["label"]
        k, n = rate(rs, fs, lab)
        what = {"attack": "recall", "benign": "FPR"}.get(lab, "flagged (not counted)")
        print(f"  {str(key):60s} {what:8s} {fmt(k, n)}")
        out[str(key)] = {"label": lab, "flagged": k, "n": n, "wilson95": list(wilson(k, n))}
    return out


def finite(v):
    """v with every NaN float replaced by None, recursively."""
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, dict):
        return {k: finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [finite(x) for x in v]
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "build"))
    ap.add_argument("--dev", default=DEV_DEFAULT)
    ap.add_argument("--folds", choices=["source"], default=None)
    ap.add_argument("--iters", type=int, default=250)
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    rows = load(os.path.join(args.data, "train.jsonl"))

    if args.folds == "source":
        groups = sorted({r["group"] for r in rows})
        res = {}
        for g in groups:
            side = [r for r in rows if r["group"] != g]
            test = [r for r in rows if r["group"] == g]
            w, b, thr, tr, va, _ = train_and_threshold(side, args.iters)
            st = score(CSR([r["text"] for r in test]), w, b)
            sc, lthr = length_baseline(tr, va)
            # a group may hold both labels (documents with and without an injection): report each
            for lab in sorted({r["label"] for r in test}):
                k, n = rate(test, st >= thr, lab)
                lk, ln = rate(test, sc(test) >= lthr, lab)
                what = "recall" if lab == "attack" else "FPR"
                print(f"{g:28s} {lab:6s} {what:6s} model {fmt(k, n)}   length-only {fmt(lk, ln)}", flush=True)
                key = g if len({r["label"] for r in test}) == 1 else f"{g}/{lab}"
                res[key] = {"label": lab, "metric": what, "model": [k, n, *wilson(k, n)],
                            "length_only": [lk, ln, *wilson(lk, ln)]}
        with open(os.path.join(args.data, "loso.json"), "w") as f:
            json.dump(res, f, indent=1, sort_keys=True)
        return

    w, b, thr, tr, va, vstats = train_and_threshold(rows, args.iters)
    print(f"validation split: recall {fmt(*vstats['val_recall'])}  FPR {fmt(*vstats['val_fpr'])}")
    sc, lthr = length_baseline(tr, va)
    evals = {}
    for name, path in [("dev", args.dev), ("heldout", os.path.join(args.data, "heldout.jsonl"))]:
        ev = load(path)
        s = score(CSR([r["text"] for r in ev]), w, b)
        flags = s >= thr
        lflags = sc(ev) >= lthr
        ka, na = rate(ev, flags, "attack")
        kb, nb = rate(ev, flags, "benign")
        la, _ = rate(ev, lflags, "attack")
        lb, _ = rate(ev, lflags, "benign")
        print(f"\n== {name}: recall {fmt(ka, na)}   FPR {fmt(kb, nb)}")
        print(f"   length-only baseline: recall {fmt(la, na)}   FPR {fmt(lb, nb)}")
        print("   per source/kind (harmful-request rows: flagged share shown, not counted):")
        per = report_groups(ev, flags, lambda r: (r.get("source", ""), r["kind"]) if name == "dev"
                            else r.get("group", r["source"]))
        evals[name] = {"recall": [ka, na, *wilson(ka, na)], "fpr": [kb, nb, *wilson(kb, nb)],
                       "length_only": {"recall": [la, na], "fpr": [lb, nb]}, "per_group": per}

    binp = os.path.join(args.out, "model.bin")
    with open(binp, "wb") as f:
        f.write(b"AIIRPC01")
        f.write(struct.pack("<IffI", DIM, float(thr), float(b), 0))
        f.write(w.astype("<f4").tobytes())
    sha = hashlib.sha256(open(binp, "rb").read()).hexdigest()
    groups = {}
    for r in rows:
        gk = r["group"]
        g = groups.setdefault(gk, {"label": r["label"], "rows": 0, "licences": set(), "sources": set()})
        if g["label"] != r["label"]:
            g["label"] = "mixed"
        g["rows"] += 1
        g["licences"].add(r["licence"])
        g["sources"].add(r["source"].split(":")[0])
    for g in groups.values():
        g["licences"] = sorted(g["licences"])
        g["sources"] = sorted(g["sources"])
    loso_p = os.path.join(args.data, "loso.json")
    meta = {
        "format": "model.bin: 8-byte magic 'AIIRPC01'; u32 dim; f32 threshold (raw margin); f32 bias; u32 reserved=0; "
                  "dim x f32 weights; all little-endian. Flag when bias + sum_j w[j]*x[j] >= threshold.",
        "features": {"hash": "FNV-1a 32-bit from the state after ASCII(kind) + 0x00, one step per code point "
                             "(w2: per w1 hash of each word); bucket = top log2(dim) bits of h * 0x9E3779B1 mod 2^32",
                     "dim": DIM, "max_chars": MAX_CHARS,
                     "kinds": ["c4", "w1", "w2", "q5"],
                     "value": "binary per bucket, L2-normalised: 1/sqrt(number of distinct buckets)",
                     "spec": "README.md#feature-spec"},
        "training": {"optimiser": "full-batch Nesterov GD, lr 2.0, momentum 0.9", "iters": args.iters, "l2": 1e-4,
                     "class_weighting": "each class 0.5; group weight prop. to sqrt(group size)",
                     "validation": "rows whose sha256(id) first 8 hex digits mod 5 == 0",
                     "threshold_rule": "FPR <= 1% on validation benign rows", **vstats},
        "threshold": float(thr), "bias": float(b), "model_bin_sha256": sha,
        "train_sha256": hashlib.sha256(open(os.path.join(args.data, "train.jsonl"), "rb").read()).hexdigest(),
        "groups": dict(sorted(groups.items())),
        "eval": evals,
        "loso": json.load(open(loso_p)) if os.path.exists(loso_p) else None,
    }
    with open(os.path.join(args.out, "model.json"), "w", encoding="utf-8") as f:
        # Strict JSON (a rate over no rows is null, not NaN): the plugin's build reads it.
        json.dump(finite(meta), f, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
        f.write("\n")
    print(f"\nmodel.bin sha256 {sha}")


if __name__ == "__main__":
    main()
