#!/usr/bin/env python3
"""Exports a torchvision classifier with random weights to ONNX, as `torch.onnx.export` does for
any PyTorch model: scripts/export-torchvision.py vgg16 out/vgg16.onnx [SIZE]. Used by the tests
of full-size models (test/onnx-torchvision.test.ts) and as an example for the README."""
import sys

import torch
import torchvision

name, out = sys.argv[1], sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 224
torch.manual_seed(0)
model = getattr(torchvision.models, name)().eval()
torch.onnx.export(model, torch.rand(1, 3, size, size), out, opset_version=13, input_names=["input"], output_names=["logits"])
