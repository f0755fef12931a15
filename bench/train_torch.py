# The training step of `degen bench train` in PyTorch, for a side-by-side comparison on one machine:
# K processes, each one tanh RNN (torch.nn.RNN, 3 inputs, N units, 3 outputs) trained on 3-bit
# flip-flop trials with MSE and Adam (lr 1e-3) on one thread. Prints the same JSON as bench/train.ts.
#   python3 bench/train_torch.py --hidden N [--batch 64] [--T 100] [--steps 100] [--workers K] [--json]
import argparse
import json
import multiprocessing as mp
import resource
import time

import numpy as np

WARMUP_STEPS = 5


def flipflop(rng, trials, T, bits=3, p=0.3):
    """Inputs and targets [trials, T, bits]: sparse +-1 pulses (one forced at t = 0); outputs hold the last."""
    pulses = (rng.random((trials, T, bits)) < p) * rng.choice([-1.0, 1.0], size=(trials, T, bits))
    pulses[:, 0, :] = rng.choice([-1.0, 1.0], size=(trials, bits))
    targets = np.zeros_like(pulses)
    held = pulses[:, 0, :]
    for t in range(T):
        held = np.where(pulses[:, t, :] != 0, pulses[:, t, :], held)
        targets[:, t, :] = held
    return pulses.astype(np.float32), targets.astype(np.float32)


def worker(args, seed, ready, go, out):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y = flipflop(rng, args.batch * 8, args.T)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    rnn = torch.nn.RNN(3, args.hidden, nonlinearity='tanh', batch_first=True)
    readout = torch.nn.Linear(args.hidden, 3)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(readout.parameters()), lr=1e-3)

    def step(i):
        at = (i * args.batch) % x.shape[0]
        xb, yb = x[at:at + args.batch], y[at:at + args.batch]
        opt.zero_grad()
        h, _ = rnn(xb)
        loss = torch.mean((readout(h) - yb) ** 2)
        loss.backward()
        opt.step()

    for i in range(WARMUP_STEPS):
        step(i)
    ready.wait()
    go.wait()
    t0 = time.perf_counter()
    for i in range(args.steps):
        step(i)
    out.put((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--hidden', type=int, required=True)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--T', type=int, default=100)
    parser.add_argument('--steps', type=int, default=100)
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    ctx = mp.get_context('spawn')
    ready = ctx.Barrier(args.workers + 1)
    go = ctx.Barrier(args.workers + 1)
    out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(args, k, ready, go, out)) for k in range(args.workers)]
    for p in procs:
        p.start()
    ready.wait()
    t0 = time.perf_counter()
    go.wait()
    results = [out.get() for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    result = {
        'hidden': args.hidden,
        'workers': args.workers,
        'ms_per_step': round(1000 * sum(r[0] for r in results) / len(results) / args.steps, 3),
        'steps_per_second': round(args.workers * args.steps / wall, 2),
        'peak_rss_mb': round(sum(r[1] for r in results), 1),
    }
    print(json.dumps(result) if args.json else result)


if __name__ == '__main__':
    main()
