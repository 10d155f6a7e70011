"""PyTorch peer of Cohort's engine benchmark: the reference CNN (the zoo's `cnn`), batch 64, 32×32×3, 10 classes,
Adam 1e-3, on the CPU. One process of this script is one independent measurement; `bench/engine.ts` runs several.

Prints one JSON object: every repeat's time in ms (after the warm-ups) for one training step, one inference batch
and one collaborative step of two networks, the latter measured two ways — as sequential steps of both networks in
this process on all `--threads`, and as one process per network (1 thread each) exchanging logits once a step, as
Cohort's workers do. The faster way counts; the JSON says which.

Usage: python3 bench/peer_torch.py [--warmup 3] [--repeats 7] [--threads 2]
"""
import argparse
import json
import multiprocessing as mp
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH, SIZE, CHANNELS, CLASSES = 64, 32, 3, 10
TEMPERATURE, LAMBDA = 2.0, 1.0


def conv_bn_relu(cin: int, cout: int) -> list:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def reference_cnn(classes: int = CLASSES) -> nn.Module:
    # the zoo's cnn, layer for layer (the PyTorch reference's CNN, here on 3 channels)
    return nn.Sequential(
        *conv_bn_relu(CHANNELS, 32), nn.MaxPool2d(2),
        *conv_bn_relu(32, 64), nn.MaxPool2d(2),
        *conv_bn_relu(64, 128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, classes),
    )


def times_ms(f, warmup: int, repeats: int) -> list:
    for _ in range(warmup):
        f()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        out.append(round((time.perf_counter() - start) * 1000, 2))
    return out


def distil_loss(z: torch.Tensor, teacher: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CE + λ·T²·KL(softmax(teacher/T) ‖ softmax(z/T)), the group step's loss for one network."""
    target = F.softmax(teacher / TEMPERATURE, dim=1)
    kd = F.kl_div(F.log_softmax(z / TEMPERATURE, dim=1), target, reduction='batchmean')
    return F.cross_entropy(z, y) + LAMBDA * TEMPERATURE ** 2 * kd


def group_sequential(warmup: int, repeats: int, y: torch.Tensor) -> list:
    torch.manual_seed(1)
    nets = [reference_cnn(), reference_cnn()]
    opts = [torch.optim.Adam(n.parameters(), lr=1e-3) for n in nets]
    views = [torch.randn(BATCH, CHANNELS, SIZE, SIZE), torch.randn(BATCH, CHANNELS, SIZE, SIZE)]

    def step() -> None:
        for o in opts:
            o.zero_grad()
        logits = [n(v) for n, v in zip(nets, views)]
        teacher = torch.stack([z.detach() for z in logits]).mean(0)
        sum(distil_loss(z, teacher, y) for z in logits).backward()
        for o in opts:
            o.step()

    return times_ms(step, warmup, repeats)


def network_process(conn, seed: int) -> None:
    """One network in its own process on one thread: forward, send logits, receive the teacher, update."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    net = reference_cnn()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(BATCH, CHANNELS, SIZE, SIZE)
    y = torch.arange(BATCH) % CLASSES
    while conn.recv() == 'step':
        opt.zero_grad()
        z = net(x)
        conn.send(z.detach().numpy())
        teacher = torch.from_numpy(conn.recv())
        distil_loss(z, teacher, y).backward()
        opt.step()
        conn.send('done')


def group_parallel(warmup: int, repeats: int) -> list:
    # spawn, not fork: a forked child of a process whose OpenMP pool already ran can hang
    ctx = mp.get_context('spawn')
    pipes, procs = [], []
    for seed in (1, 2):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=network_process, args=(child, seed), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)

    def step() -> None:
        for p in pipes:
            p.send('step')
        logits = [torch.from_numpy(p.recv()) for p in pipes]
        teacher = torch.stack(logits).mean(0).numpy()
        for p in pipes:
            p.send(teacher)
        for p in pipes:
            p.recv()

    try:
        return times_ms(step, warmup, repeats)
    finally:
        for p in pipes:
            p.send('stop')
        for proc in procs:
            proc.join(10)


def median(values: list) -> float:
    s = sorted(values)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--repeats', type=int, default=7)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    if a.warmup < 0 or a.repeats < 1 or a.threads < 1:
        sys.exit('--warmup must be 0 or more, --repeats and --threads 1 or more')
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(BATCH, CHANNELS, SIZE, SIZE)
    y = torch.randint(0, CLASSES, (BATCH,))

    net = reference_cnn()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def train_step() -> None:
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    train = times_ms(train_step, a.warmup, a.repeats)
    net.eval()

    def infer() -> None:
        with torch.no_grad():
            net(x)

    infer_ms = times_ms(infer, a.warmup, a.repeats)
    sequential = group_sequential(a.warmup, a.repeats, y)
    parallel = group_parallel(a.warmup, a.repeats)
    group_way = 'sequential' if median(sequential) <= median(parallel) else 'parallel'
    print(json.dumps({
        'name': f'PyTorch {torch.__version__} cpu ({a.threads} threads)',
        'python': sys.executable,
        'trainStepMs': train,
        'inferBatchMs': infer_ms,
        'group': {'sequentialMs': sequential, 'parallelMs': parallel, 'faster': group_way},
        # ru_maxrss is in kilobytes on Linux; this process only (the parallel group's children are not counted)
        'maxRssMB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == '__main__':
    main()
