"""PyTorch peer of Cohort's engine benchmark: the reference CNN (the zoo's `cnn`), batch 64, 32×32×3, 10 classes,
Adam 1e-3, on the CPU with 2 threads. Prints one JSON object (times in ms, medians after warm-up).

Usage: /usr/bin/python3 bench/peer_torch.py [--quick]
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(cin: int, cout: int) -> list:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def reference_cnn(classes: int = 10) -> nn.Module:
    # the zoo's cnn, layer for layer (the PyTorch reference's CNN, here on 3 channels)
    return nn.Sequential(
        *conv_bn_relu(3, 32), nn.MaxPool2d(2),
        *conv_bn_relu(32, 64), nn.MaxPool2d(2),
        *conv_bn_relu(64, 128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, classes),
    )


def median_ms(f, warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    quick = '--quick' in sys.argv
    warmup, repeats = (2, 5) if quick else (5, 20)
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.randn(64, 3, 32, 32)
    y = torch.randint(0, 10, (64,))

    net = reference_cnn()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def train_step() -> None:
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    train = median_ms(train_step, warmup, repeats)
    net.eval()

    def infer() -> None:
        with torch.no_grad():
            net(x)

    infer_ms = median_ms(infer, warmup, repeats)

    # Two networks, each with its own view, trained together: CE + λ·T²·KL to the mean-logit teacher.
    nets = [reference_cnn(), reference_cnn()]
    opts = [torch.optim.Adam(n.parameters(), lr=1e-3) for n in nets]
    views = [torch.randn(64, 3, 32, 32), torch.randn(64, 3, 32, 32)]
    temperature, lam = 2.0, 1.0

    def group_step() -> None:
        for o in opts:
            o.zero_grad()
        logits = [n(v) for n, v in zip(nets, views)]
        teacher = torch.stack([z.detach() for z in logits]).mean(0)
        target = F.softmax(teacher / temperature, dim=1)
        loss = sum(
            F.cross_entropy(z, y)
            + lam * temperature ** 2 * F.kl_div(F.log_softmax(z / temperature, dim=1), target, reduction='batchmean')
            for z in logits
        )
        loss.backward()
        for o in opts:
            o.step()

    group = median_ms(group_step, warmup, repeats)
    print(json.dumps({
        'name': f'pytorch {torch.__version__} cpu ({torch.get_num_threads()} threads)',
        'single': {'trainStepMs': round(train, 2), 'inferBatchMs': round(infer_ms, 2)},
        'group2': {'trainStepMs': round(group, 2)},
    }))


if __name__ == '__main__':
    main()
