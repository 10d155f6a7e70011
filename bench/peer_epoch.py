"""PyTorch peer of `cohort bench epoch`: one Fashion-MNIST training epoch of cnn + resnet-8 trained together with
the `min-logit` teacher at the experiment's full-data settings (batch 128, 28×28×1, SGD 0.05 Nesterov, weight decay
5e-4, cosine schedule, T = 2, λ = 1, each network its own crop-and-flip view), as the PyTorch reference
(kdcl_ref.py in the team's shared reference) trains it. Networks, augmentation, teacher and loss are a faithful copy
of the reference's, so that this repository's benchmark does not depend on files outside it.

Times the training loop only (as the reference's `train_s`), whole and after its first step, and prints one JSON
object.

OpenMP's threads sleep instead of spinning while they wait (OMP_WAIT_POLICY=PASSIVE unless the caller set it):
libgomp's default spin lets one waiting thread hold a core that its partner needs, and on a 2-core machine with
any other load that made the same loop 2-5x slower (docs/BENCHMARKS.md, 2026-12-06). The computation is unchanged.

Usage: python3 bench/peer_epoch.py [--images 55000] [--threads 2] [--data /usr/share/datasets/fashion-mnist]
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

# before torch loads libgomp, which reads it once
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MEAN, STD = 0.286, 0.353
FULL = 55_000


def read_idx(data: str, name: str) -> np.ndarray:
    """An IDX file, gzipped (Debian's) or not."""
    path = os.path.join(data, name)
    if os.path.exists(path):
        with open(path, 'rb') as f:
            raw = f.read()
    else:
        with gzip.open(path + '.gz', 'rb') as f:
            raw = f.read()
    ndim = int.from_bytes(raw[0:4], 'big') & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_training(data: str, images: int):
    """`images` training pictures in [0,1], [N,1,28,28]: a seeded draw from the 60k training file (for timing the
    exact pictures do not matter, only their number)."""
    x = read_idx(data, 'train-images-idx3-ubyte')
    y = read_idx(data, 'train-labels-idx1-ubyte')
    idx = np.sort(np.random.RandomState(0).permutation(len(y))[:images])
    return (torch.from_numpy(x[idx].astype(np.float32) / 255.0).unsqueeze(1),
            torch.from_numpy(y[idx].astype(np.int64)))


def normalise(x01):
    return (x01 - MEAN) / STD


def augment(x01, gen, pad=2):
    """Random 28x28 crop of the zero-padded (by `pad`) image and random horizontal flip, per sample."""
    b, _, h, w = x01.shape
    xp = F.pad(x01, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    flip = torch.rand(b, generator=gen) < 0.5
    rows = (oy[:, None] + torch.arange(h))[:, :, None]
    cols = ox[:, None] + torch.arange(w)
    cols = torch.where(flip[:, None], ox[:, None] + (w - 1 - torch.arange(w)), cols)[:, None, :]
    return xp[:, 0][torch.arange(b)[:, None, None], rows, cols].unsqueeze(1)


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class CNN(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.features = nn.Sequential(*conv_bn_relu(1, 32), nn.MaxPool2d(2), *conv_bn_relu(32, 64), nn.MaxPool2d(2),
                                      *conv_bn_relu(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):
        return self.fc(self.features(x))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        o = F.relu(self.b1(self.c1(x)), inplace=True)
        o = self.b2(self.c2(o))
        return F.relu(o + (x if self.short is None else self.short(x)), inplace=True)


class ResNet8(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.stem = nn.Sequential(*conv_bn_relu(1, 16))
        self.stages = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 32, 2), BasicBlock(32, 64, 2))
        self.fc = nn.Linear(64, n_classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.stages(self.stem(x)), 1).flatten(1))


def init_weights(m):
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_normal_(mod.weight, mode='fan_out', nonlinearity='relu')
        elif isinstance(mod, nn.BatchNorm2d):
            nn.init.ones_(mod.weight); nn.init.zeros_(mod.bias)
    return m


def min_logit(zs, y):
    """Shift so the target logit is 0, then the elementwise minimum over the networks."""
    Z = torch.stack(zs)
    return (Z - Z.gather(2, y[None, :, None].expand(Z.shape[0], -1, 1))).min(0).values


def kd_loss(z_s, z_t, T):
    return F.kl_div(F.log_softmax(z_s / T, 1), F.softmax(z_t / T, 1), reduction='batchmean') * T * T


def train_epoch(xtr, ytr, seed=0, T=2.0, lam=1.0, lr=0.05, wd=5e-4, bs=128):
    """The reference's training loop for one epoch of a one-epoch run; returns its seconds, the seconds after
    the first step (which pays for oneDNN's warm-up) and the number of steps."""
    torch.manual_seed(seed)
    nets = [init_weights(CNN()), init_weights(ResNet8())]
    opts = [torch.optim.SGD(n.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=wd) for n in nets]
    g_order = torch.Generator().manual_seed(1000 * seed + 1)
    g_aug = [torch.Generator().manual_seed(1000 * seed + 11 + i) for i in range(len(nets))]
    n = len(ytr); total = math.ceil(n / bs)
    for m in nets: m.train()
    t0 = time.perf_counter()
    perm = torch.randperm(n, generator=g_order)
    for step, b0 in enumerate(range(0, n, bs)):
        idx = perm[b0:b0 + bs]; x01, y = xtr[idx], ytr[idx]
        cur = 0.5 * lr * (1 + math.cos(math.pi * step / total))
        for o in opts:
            for g in o.param_groups: g['lr'] = cur
        zs = [m(normalise(augment(x01, g))) for m, g in zip(nets, g_aug)]
        loss = sum(F.cross_entropy(z, y) for z in zs)
        with torch.no_grad():
            zt = min_logit([z.detach() for z in zs], y)
        loss = loss + lam * sum(kd_loss(z, zt, T) for z in zs)
        for o in opts: o.zero_grad(set_to_none=True)
        loss.backward()
        for o in opts: o.step()
        if step == 0:
            t1 = time.perf_counter()
    end = time.perf_counter()
    return end - t0, end - t1, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--images', type=int, default=FULL)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    a = ap.parse_args()
    if not 1 <= a.images <= 60_000:
        sys.exit(f'--images must be between 1 and 60000 (got {a.images})')
    torch.set_num_threads(a.threads)
    xtr, ytr = load_training(a.data, a.images)
    seconds, after_first, steps = train_epoch(xtr, ytr)
    print(json.dumps({
        'name': f'PyTorch {torch.__version__} cpu ({a.threads} threads)',
        'python': sys.executable,
        'ompWaitPolicy': os.environ['OMP_WAIT_POLICY'],
        'images': a.images,
        'steps': steps,
        'measuredSeconds': round(seconds, 3),
        'afterFirstStepSeconds': round(after_first, 3),
    }))


if __name__ == '__main__':
    main()
