#!/usr/bin/env python3
"""A small RGB CNN trained on natural photos, for measuring presets on an RGB model whose colour
statistics are not ImageNet's (issue 16): /usr/bin/python3 scripts/train-photo-patches.py OUT_DIR.
Task: which of samples/photos a random 48 px crop (scale 0.3-1 of the photo, flips, +-10%
brightness) comes from. Four photos make an easy task; what matters is that the filters are
learned from natural RGB pixels. Seeded; about a minute on 2 CPU cores. Writes OUT_DIR/model.onnx
(input [1, 3, 48, 48] in [0, 1], no normalization) and labels.json."""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

out = sys.argv[1]
root = os.path.join(os.path.dirname(__file__), "..", "samples", "photos")
names = sorted(f[:-4] for f in os.listdir(root) if f.endswith(".jpg"))
photos = [torch.tensor(np.asarray(Image.open(os.path.join(root, n + ".jpg")).convert("RGB")), dtype=torch.float32).permute(2, 0, 1) / 255 for n in names]
torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
SIZE = 48


def batch(n):
    xs, ys = [], []
    for _ in range(n):
        k = int(torch.randint(len(photos), (1,), generator=g))
        p = photos[k]
        side = int(p.shape[1] * (0.3 + 0.7 * float(torch.rand(1, generator=g))))
        y0, x0 = (int(torch.randint(p.shape[1] - side + 1, (1,), generator=g)) for _ in range(2))
        crop = p[:, y0:y0 + side, x0:x0 + side][None]
        crop = nn.functional.interpolate(crop, size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0]
        if float(torch.rand(1, generator=g)) < 0.5:
            crop = crop.flip(2)
        crop = (crop * (0.9 + 0.2 * float(torch.rand(1, generator=g)))).clamp(0, 1)
        xs.append(crop)
        ys.append(k)
    return torch.stack(xs), torch.tensor(ys)


def block(i, o):
    return [nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), nn.Conv2d(o, o, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]


model = nn.Sequential(*block(3, 16), *block(16, 32), *block(32, 64), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, len(names)))
opt = torch.optim.Adam(model.parameters(), 2e-3)
for step in range(400):
    x, y = batch(64)
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0 or step == 399:
        with torch.no_grad():
            xt, yt = batch(256)
            acc = (model(xt).argmax(1) == yt).float().mean().item()
        print(f"step {step} loss {loss.item():.3f} held-out accuracy {acc:.3f}", flush=True)
model.eval()
os.makedirs(out, exist_ok=True)
torch.onnx.export(model, torch.rand(1, 3, SIZE, SIZE), os.path.join(out, "model.onnx"), opset_version=13, input_names=["input"], output_names=["logits"])
with open(os.path.join(out, "labels.json"), "w") as f:
    json.dump(names, f)
