"""PyTorch reference figures for `npm run bench` (the same work as convscope's cases).

VGG16's convolution stack with random weights (the figures do not depend on the weights), on
the CPU with every core (torch.set_num_threads(os.cpu_count())). Prints JSON:
[{"case": ..., "value": ..., "unit": ...}, ...]. Debian: apt-get install python3-torch
(run with /usr/bin/python3 when another python3 comes first on PATH).

Cases:
  vgg16-block5_conv3-128 / -224, vgg16-block3_conv1-128: ms per gradient step, one image,
      input gradient of one channel's mean (after ReLU) of that layer.
  vgg16-layer-64x128: 64 filters of block3_conv1 at 128 px, 64 Adam steps each on pixels
      with a random jitter (roll) per step, in batches of `--batch` (default: the fastest of
      1, 2, 4, 8, 16 per item-step, measured on 3 steps each, as convscope picks its own;
      here batch 16 costs 5x batch 4 per item): filters/min.
  vgg16-scan-224: forward images/s to block5_pool, batch 8, no gradients.
"""
import argparse
import json
import os
import time

import torch
from torch import nn

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


def optimize_batch(net, first, count, steps, size):
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
    args = parser.parse_args()
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
