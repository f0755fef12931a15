"""Float64 numpy reference for PAVF (METRICS.md A.8), for side-by-side checks only: degen never needs Python.

Riemannian gradient descent on O(n) with the Cayley retraction and Armijo backtracking (each iteration starts
from twice the previous accepted step), stopping at ||W||^2 < 1e-14; starts: I, diag(-1, 1, ...), the spectral
starts (symmetric-part eigenvectors with signs matched by single-flip ascent on d^T (K_A o K_B) d) and Haar
random starts of both determinant signs. Keeps the best.

    /usr/bin/python3 bench/dsa_reference.py pairs.json [--restarts 50] [--iters 5000] > results.json

pairs.json: [{"a": [[...]], "b": [[...]]}, ...]; prints [{"angular", "euclidean", "seconds"}, ...].
"""
import argparse
import json
import sys
import time

import numpy as np


def objective(C, A, B):
    E = C @ B @ C.T - A
    return float(np.sum(E * E)), E


def descend(C, A, B, iters):
    f, E = objective(C, A, B)
    t = 1.0
    eye = np.eye(len(A))
    for _ in range(iters):
        G = 2 * (E @ C @ B.T + E.T @ C @ B)
        X = C.T @ G
        W = (X - X.T) / 2
        ww = float(np.sum(W * W))
        if ww < 1e-14:
            break
        t *= 2
        while True:
            Cn = C @ np.linalg.solve(eye + t * W / 2, eye - t * W / 2)
            fn, En = objective(Cn, A, B)
            if fn <= f - 1e-4 * t * ww or t < 1e-20:
                break
            t /= 2
        if fn > f:
            break
        C, f, E = Cn, fn, En
    U, _, Vt = np.linalg.svd(C)
    C = U @ Vt
    return C, objective(C, A, B)[0]


def spectral_starts(A, B, rng, random_signs=4):
    def eig_sym(X):
        w, V = np.linalg.eigh((X + X.T) / 2)
        return V  # ascending
    VA, VB = eig_sym(A), eig_sym(B)
    KA = VA.T @ ((A - A.T) / 2) @ VA
    KB = VB.T @ ((B - B.T) / 2) @ VB
    M = KA * KB
    n = len(A)
    cands = [np.ones(n), np.sign(np.linalg.eigh(M)[1][:, -1]) + (np.linalg.eigh(M)[1][:, -1] == 0)]
    cands += [rng.choice([-1.0, 1.0], n) for _ in range(random_signs)]
    out = []
    for d in cands:
        d = d.copy()
        changed = True
        while changed:
            changed = False
            for i in range(n):
                gain = -4 * d[i] * (M[i] @ d - M[i, i] * d[i])
                if gain > 0:
                    d[i] = -d[i]
                    changed = True
        out.append(VA @ np.diag(d) @ VB.T)
    return out


def haar(n, rng, det):
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    Q = Q * np.sign(np.diag(R))
    if np.sign(np.linalg.det(Q)) != det:
        Q[:, 0] *= -1
    return Q


def pavf(A, B, restarts, iters, seed=0):
    A = A / np.linalg.norm(A)
    B = B / np.linalg.norm(B)
    n = len(A)
    rng = np.random.default_rng(seed)
    starts = [np.eye(n), np.diag([-1.0] + [1.0] * (n - 1))] + spectral_starts(A, B, rng)
    starts += [haar(n, rng, 1 if k % 2 == 0 else -1) for k in range(restarts)]
    best = None
    for C0 in starts:
        C, f = descend(C0, A, B, iters)
        if best is None or f < best[1]:
            best = (C, f)
    eu = float(np.sqrt(best[1]))
    return {"angular": float(2 * np.arcsin(min(1.0, eu / 2))), "euclidean": eu}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("pairs")
    p.add_argument("--restarts", type=int, default=50)
    p.add_argument("--iters", type=int, default=5000)
    args = p.parse_args()
    out = []
    for k, pair in enumerate(json.load(open(args.pairs))):
        t0 = time.perf_counter()
        r = pavf(np.array(pair["a"], float), np.array(pair["b"], float), args.restarts, args.iters)
        r["seconds"] = time.perf_counter() - t0
        out.append(r)
        print(k, r, file=sys.stderr)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
