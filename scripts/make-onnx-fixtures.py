#!/usr/bin/env python3
"""Exports the ONNX test fixtures and their PyTorch references (test/fixtures/onnx/).

Small random-weight models in the shapes of torchvision's VGG, ResNet (basic and bottleneck
blocks) and MobileNetV2 (depthwise, ReLU6, inverted residuals), built from torchvision's own
classes and blocks so the exporter's node names are the ones real models get, plus one model
of the remaining ops the importer supports. For each: model.onnx, input.npy (NCHW), the output
of every module call as PyTorch computes it (act/<module path>.npy, NCHW; a module called twice,
like BasicBlock's relu, gives <path> and <path>_1, as the exporter names its nodes), and the
input gradient of one channel's mean (grad.npy) with meta.json naming the layer and channel.

Needs Debian's python3-torch and python3-torchvision (apt-get install python3-torchvision).
Run: /usr/bin/python3 scripts/make-onnx-fixtures.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models import resnet, vgg

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "onnx")


class TinyResNet(resnet.ResNet):
    """torchvision's ResNet with the widths cut to 8/16 and two stages (same module names)."""

    def __init__(self, block, layers, num_classes=10):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = 8, 1, 1, 64 if block is resnet.BasicBlock else 16
        self.conv1 = nn.Conv2d(3, 8, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 8, layers[0])
        self.layer2 = self._make_layer(block, 16, layers[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16 * block.expansion, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def tiny_vgg():
    model = vgg.VGG(vgg.make_layers([8, "M", 16, "M", 16, 16, "M"]), num_classes=10)
    # VGG's classifier at full width is 100M weights; the same module layout, narrower.
    model.avgpool = nn.AdaptiveAvgPool2d((2, 2))
    model.classifier = nn.Sequential(
        nn.Linear(16 * 2 * 2, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 10)
    )
    return model


class SqueezeExcite(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, 4, 1)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(4, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        return x * self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))


class OpsNet(nn.Module):
    """The ops torchvision's three families do not use: every other activation, batch norm after an
    activation (so the exporter keeps it as its own node), a grouped convolution, squeeze-and-excitation, concatenation, explicit padding, average pooling with
    padding, max pooling in ceil mode on signed input, and a softmax output."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.act1 = nn.LeakyReLU(0.1)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.pad = nn.ZeroPad2d((1, 0, 1, 0))
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, dilation=1)
        self.act2 = nn.SiLU()
        self.branch_a = nn.Conv2d(8, 4, 1)
        self.branch_b = nn.Conv2d(8, 4, 3, padding=2, dilation=2)
        self.act3 = nn.Tanh()
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=4)
        self.se = SqueezeExcite(8)
        self.act4 = nn.Hardswish()
        self.pool2 = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.act5 = nn.Sigmoid()
        self.pool3 = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(8, 5)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.pool1(self.bn1(self.act1(self.conv1(x))))
        x = self.act2(self.conv2(self.pad(x)))
        x = self.grouped(self.act3(torch.cat([self.branch_a(x), self.branch_b(x)], 1)))
        x = self.act5(self.pool2(self.act4(self.se(x))))
        return self.softmax(self.fc(torch.flatten(self.pool3(x), 1)))


def randomize_batch_norms(model, generator):
    # Fresh batch norms are the identity; random statistics make the folding show in the numbers.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.1)


def record_calls(model):
    """Outputs of every module call, named as the exporter names nodes (path, path_1, ...)."""
    outputs, hooks = {}, []
    for name, module in model.named_modules():
        if not name:
            continue

        def hook(_m, _i, out, name=name):
            key, n = name, 1
            while key in outputs:
                key, n = f"{name}_{n}", n + 1
            outputs[key] = out.detach().numpy().astype(np.float32)

        hooks.append(module.register_forward_hook(hook))
    return outputs, hooks


def export(name, model, size, grad_layer, grad_channel):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    for p in model.parameters():
        p.data.copy_(torch.randn(p.shape, generator=generator) * (2.0 / max(1, p[0].numel())) ** 0.5)
    randomize_batch_norms(model, generator)
    model.eval()
    folder = os.path.join(OUT, name)
    os.makedirs(os.path.join(folder, "act"), exist_ok=True)
    x = torch.rand(1, 3, size, size, generator=generator) * 2 - 1
    torch.onnx.export(
        model, x, os.path.join(folder, "model.onnx"), opset_version=13, input_names=["input"],
        output_names=["output"],
    )
    outputs, hooks = record_calls(model)
    xg = x.clone().requires_grad_(True)
    captured = {}
    target = dict(model.named_modules())[grad_layer]
    # The first call's output (a hook that returns a value would replace the module's output).
    handle = target.register_forward_hook(lambda _m, _i, out: [captured.setdefault("out", out), None][1])
    model(xg)
    handle.remove()
    for h in hooks:
        h.remove()
    captured["out"][:, grad_channel].mean().backward()
    calls = [key for key, value in outputs.items() if value.ndim in (2, 4)]
    np.save(os.path.join(folder, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(folder, "grad.npy"), xg.grad.numpy().astype(np.float32))
    for key in calls:
        np.save(os.path.join(folder, "act", f"{key}.npy"), outputs[key])
    with open(os.path.join(folder, "meta.json"), "w") as f:
        # calls: module outputs in call order (a conv with a batch norm folded in is followed by it).
        meta = {"size": size, "gradLayer": grad_layer, "gradChannel": grad_channel, "torch": torch.__version__, "calls": calls}
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(name, "ok", len(outputs), "module outputs")


if __name__ == "__main__":
    export("vgg", tiny_vgg(), 32, "features.9", 3)
    export("resnet-basic", TinyResNet(resnet.BasicBlock, [1, 1]), 32, "layer2.0.relu", 5)
    export("resnet-bottleneck", TinyResNet(resnet.Bottleneck, [1, 1]), 32, "layer2.0.relu", 2)
    mobilenet = torchvision.models.MobileNetV2(
        num_classes=10, width_mult=0.25, inverted_residual_setting=[[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2]]
    )
    # The classifier's 1280 features at full width; narrower keeps the fixture small.
    mobilenet.features[-1][0] = nn.Conv2d(mobilenet.features[-1][0].in_channels, 64, 1, bias=False)
    mobilenet.features[-1][1] = nn.BatchNorm2d(64)
    mobilenet.classifier[1] = nn.Linear(64, 10)
    export("mobilenetv2", mobilenet, 32, "features.3.conv.1.2", 11)
    export("ops", OpsNet(), 24, "act4", 5)
