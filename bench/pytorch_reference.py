"""PyTorch reference figures for `npm run bench` (the same work as convscope's cases).

VGG16's convolution stack with random weights (the figures do not depend on the weights), on
the CPU with every core (torch.set_num_threads(os.cpu_count())). Prints JSON:
[{"case": ..., "value": ..., "unit": ...}, ...]. Debian: apt-get install python3-torch
(run with /usr/bin/python3 when another python3 comes first on PATH).

Cases:
  vgg16-block5_conv3-128 / -224, vgg16-block3_conv1-128: ms per gradient step, one image,
      input gradient of one channel's mean (after ReLU) of that layer.
  vgg16-layer-64x128: 64 filters of block3_conv1 at 128 px, 64 steps each of the same work as
      convscope's lucid preset (what Lucid/Lucent do): a Fourier-parameterized image with
      decorrelated colour and a sigmoid, Lucid's standard transforms (pad 12 of 0.5, jitter 8,
      random scale, random rotation by bilinear sampling, jitter 4), resized back to 128 px,
      Adam at 0.05; in batches of `--batch` (default: the fastest of 1, 2, 4, 8, 16 per
      item-step, measured on 3 steps each, as convscope picks its own): filters/min.
      `--pixels` runs the cheaper loop of earlier benchmarks instead (pixels, a random roll).
  vgg16-scan-224: forward images/s to block5_pool, batch 8, no gradients.
"""
import argparse
import json
import os
import time

import math

import torch
import torch.nn.functional as F
from torch import nn

PIXELS = False
CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_features():
    """The conv stack with Keras' layer names (blockB_convC after its ReLU, blockB_pool)."""
    layers, names, channels, block, conv = [], [], 3, 1, 1
    for v in CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            names.append(f"block{block}_pool")
            block, conv = block + 1, 1
        else:
            layers += [nn.Conv2d(channels, v, 3, padding=1), nn.ReLU(inplace=False)]
            names += [f"block{block}_conv{conv}_linear", f"block{block}_conv{conv}"]
            channels, conv = v, conv + 1
    return nn.Sequential(*layers).eval(), names


def upto(features, names, layer):
    return features[: names.index(layer) + 1]


def timed(fn, repeats, warmup):
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def gradient_step(features, names, layer, size):
    net = upto(features, names, layer)
    image = torch.rand(1, 3, size, size, requires_grad=True)

    def step():
        image.grad = None
        net(image)[:, 0].mean().backward()

    return timed(step, 5, 2) * 1000


COLOR = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR = COLOR / COLOR.norm(dim=0).max()


def fourier_scale(size):
    fy = torch.fft.fftfreq(size)[:, None]
    fx = torch.fft.rfftfreq(size)[None, :]
    return math.sqrt(size * size) / torch.maximum((fy * fy + fx * fx).sqrt(), torch.tensor(1.0 / size))


def lucid_view(image, size):
    """Lucid's standard transforms: pad, jitter, random scale, random rotation, jitter."""
    x = F.pad(image, (12, 12, 12, 12), value=0.5)
    dy, dx = torch.randint(0, 9, (2,)).tolist()
    x = x[:, :, dy : dy + x.shape[2] - 8, dx : dx + x.shape[3] - 8]
    factor = 1 + (torch.randint(0, 11, ()).item() - 5) / 50
    x = F.interpolate(x, size=(round(x.shape[2] * factor),) * 2, mode="bilinear", align_corners=False)
    angle = math.radians(torch.randint(-10, 11, ()).item())
    theta = torch.tensor([[math.cos(angle), -math.sin(angle), 0.0], [math.sin(angle), math.cos(angle), 0.0]])
    grid = F.affine_grid(theta.expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)
    x = F.grid_sample(x - 0.5, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 0.5
    dy, dx = torch.randint(0, 5, (2,)).tolist()
    x = x[:, :, dy : dy + x.shape[2] - 4, dx : dx + x.shape[3] - 4]
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def lucid_batch(net, first, count, steps, size):
    spectrum = (torch.randn(count, 3, size, size // 2 + 1, 2) * 0.01).requires_grad_()
    scale = fourier_scale(size)
    optimizer = torch.optim.Adam([spectrum], lr=0.05)
    index = torch.arange(first, first + count)
    for _ in range(steps):
        optimizer.zero_grad()
        planes = torch.fft.irfftn(torch.view_as_complex(spectrum) * scale, s=(size, size), norm="ortho") / 4
        image = torch.sigmoid(torch.einsum("bchw,dc->bdhw", planes, COLOR))
        acts = net(lucid_view(image, size))
        score = acts[torch.arange(count), index].mean(dim=(1, 2)).sum()
        (-score).backward()
        optimizer.step()


def optimize_batch(net, first, count, steps, size):
    if not PIXELS:
        return lucid_batch(net, first, count, steps, size)
    pixels = torch.rand(count, 3, size, size, requires_grad=True)
    optimizer = torch.optim.Adam([pixels], lr=0.05)
    index = torch.arange(first, first + count)
    for _ in range(steps):
        optimizer.zero_grad()
        dy, dx = torch.randint(-8, 9, (2,)).tolist()
        seen = torch.roll(pixels, shifts=(dy, dx), dims=(2, 3))
        acts = net(seen)
        score = acts[torch.arange(count), index].mean(dim=(1, 2)).sum()
        (-score).backward()
        optimizer.step()


def fastest_batch(net, size):
    per_item = {}
    for batch in (1, 2, 4, 8, 16):
        optimize_batch(net, 0, batch, 1, size)
        start = time.perf_counter()
        optimize_batch(net, 0, batch, 3, size)
        per_item[batch] = (time.perf_counter() - start) / (3 * batch)
    return min(per_item, key=per_item.get)


def layer_64(features, names, batch, steps=64, filters=64, size=128):
    net = upto(features, names, "block3_conv1")
    batch = batch or fastest_batch(net, size)
    start = time.perf_counter()
    for first in range(0, filters, batch):
        optimize_batch(net, first, min(batch, filters - first), steps, size)
    return filters / ((time.perf_counter() - start) / 60)


def scan(features, names, size=224, batch=8):
    net = upto(features, names, "block5_pool")
    images = torch.rand(batch, 3, size, size)

    def run():
        with torch.no_grad():
            net(images)

    return batch / timed(run, 3, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", action="append")
    parser.add_argument("--batch", type=int, default=0, help="0: measure")
    parser.add_argument("--pixels", action="store_true", help="the cheaper pixel + roll loop")
    args = parser.parse_args()
    global PIXELS
    PIXELS = args.pixels
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    features, names = vgg16_features()
    cases = {
        "vgg16-block5_conv3-128": lambda: (gradient_step(features, names, "block5_conv3", 128), "ms/step"),
        "vgg16-block5_conv3-224": lambda: (gradient_step(features, names, "block5_conv3", 224), "ms/step"),
        "vgg16-block3_conv1-128": lambda: (gradient_step(features, names, "block3_conv1", 128), "ms/step"),
        "vgg16-layer-64x128": lambda: (layer_64(features, names, args.batch), "filters/min"),
        "vgg16-scan-224": lambda: (scan(features, names), "images/s"),
    }
    results = []
    for name in args.case or cases:
        if name not in cases:
            continue
        value, unit = cases[name]()
        results.append({"case": name, "value": round(value, 2), "unit": unit})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
