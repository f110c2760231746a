"""The nuclei network, as nucseg's C inference runs it (src/nn/).

Space-to-depth 2x2 at the input, a four-level U-Net at 1/2 .. 1/16 resolution whose
decoder adds (not concatenates) the skip connections after a 1x1 projection, and a
1x1 head whose 4*R channels are shuffled back to R at full resolution; with the input
they go through a 3x3 and a 1x1 convolution at full resolution to K = 3 classes per
pixel, background / interior / boundary. Working at half resolution from the
first layer is what keeps it near 3,100 multiply-adds per pixel (docs/learned-nuclei.md);
a last 3x3 convolution at full resolution, over the shuffled features and the input
itself, puts the outlines on the right pixel (version 2 of the file format).

Every 3x3 convolution is followed by BatchNorm (training only: folded into the
convolution at export) and ReLU; projections and the head are linear.
"""
import struct
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT_MAGIC = b"NUCSEGNN"
FORMAT_VERSION = 2
# Full-resolution refinement: the head gives REFINE_CHANNELS features per full-resolution
# pixel (by pixel shuffle), which with the input itself go through one 3x3 convolution
# at full resolution (REFINE_HIDDEN channels) and a 1x1 to the K classes.
REFINE_CHANNELS = 4
REFINE_HIDDEN = 8
# Intensity normalisation, shared with the C side: the input's 1st and 99.8th
# percentiles map to 0 and 1 (no clipping).
NORM_LO_PCT = 1.0
NORM_HI_PCT = 99.8


class ConvBNReLU(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=True)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class NucleiNet(nn.Module):
    def __init__(self, widths=(12, 24, 48, 64), n_classes=3):
        super().__init__()
        c1, c2, c3, c4 = widths
        self.widths = tuple(widths)
        self.n_classes = n_classes
        self.e1a, self.e1b = ConvBNReLU(4, c1), ConvBNReLU(c1, c1)
        self.e2a, self.e2b = ConvBNReLU(c1, c2), ConvBNReLU(c2, c2)
        self.e3a, self.e3b = ConvBNReLU(c2, c3), ConvBNReLU(c3, c3)
        self.e4a, self.e4b = ConvBNReLU(c3, c4), ConvBNReLU(c4, c4)
        self.p3, self.d3 = nn.Conv2d(c4, c3, 1), ConvBNReLU(c3, c3)
        self.p2, self.d2 = nn.Conv2d(c3, c2, 1), ConvBNReLU(c2, c2)
        self.p1, self.d1 = nn.Conv2d(c2, c1, 1), ConvBNReLU(c1, c1)
        self.head = nn.Conv2d(c1, 4 * REFINE_CHANNELS, 1)
        self.r1 = ConvBNReLU(REFINE_CHANNELS + 1, REFINE_HIDDEN)
        self.out = nn.Conv2d(REFINE_HIDDEN, n_classes, 1)

    def forward(self, image):
        """image: N x 1 x H x W, H and W multiples of 16. Returns logits N x K x H x W."""
        x = F.pixel_unshuffle(image, 2)
        e1 = self.e1b(self.e1a(x))
        e2 = self.e2b(self.e2a(F.max_pool2d(e1, 2)))
        e3 = self.e3b(self.e3a(F.max_pool2d(e2, 2)))
        e4 = self.e4b(self.e4a(F.max_pool2d(e3, 2)))
        d3 = self.d3(F.interpolate(self.p3(e4), scale_factor=2, mode="nearest") + e3)
        d2 = self.d2(F.interpolate(self.p2(d3), scale_factor=2, mode="nearest") + e2)
        d1 = self.d1(F.interpolate(self.p1(d2), scale_factor=2, mode="nearest") + e1)
        full = torch.cat([F.pixel_shuffle(self.head(d1), 2), image], dim=1)
        return self.out(self.r1(full))

    # The order in which the weight file stores the layers (src/nn/ reads the same).
    LAYERS = ("e1a", "e1b", "e2a", "e2b", "e3a", "e3b", "e4a", "e4b",
              "p3", "d3", "p2", "d2", "p1", "d1", "head", "r1", "out")


def folded(module):
    """(weight, bias) of a layer with its BatchNorm folded in, as float64 numpy."""
    if isinstance(module, ConvBNReLU):
        conv, bn = module.conv, module.bn
        w = conv.weight.detach().double()
        b = conv.bias.detach().double()
        scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
        w = w * scale[:, None, None, None]
        b = (b - bn.running_mean.double()) * scale + bn.bias.detach().double()
        return w.numpy(), b.numpy()
    return module.weight.detach().double().numpy(), module.bias.detach().double().numpy()


def export_bytes(net):
    """The weight file: magic, version, widths, classes, normalisation, then each
    layer's out, in, k and float32 weights ([out][in][ky][kx]) and biases, then the
    CRC-32 of everything before it. Little-endian."""
    body = bytearray()
    body += FORMAT_MAGIC
    body += struct.pack("<I", FORMAT_VERSION)
    body += struct.pack("<4I", *net.widths)
    body += struct.pack("<I", net.n_classes)
    body += struct.pack("<2f", NORM_LO_PCT, NORM_HI_PCT)
    body += struct.pack("<I", len(NucleiNet.LAYERS))
    for name in NucleiNet.LAYERS:
        w, b = folded(getattr(net, name))
        cout, cin, k, _ = w.shape
        body += struct.pack("<3I", cout, cin, k)
        body += w.astype("<f4").tobytes()
        body += b.astype("<f4").tobytes()
    body += struct.pack("<I", zlib.crc32(bytes(body)) & 0xFFFFFFFF)
    return bytes(body)


def parse_weights(data):
    """{layer: (weight, bias)} float32 tensors and the widths of a weight file's bytes."""
    if data[:8] != FORMAT_MAGIC:
        raise ValueError("not a nucseg network file (bad magic)")
    if struct.unpack_from("<I", data, len(data) - 4)[0] != zlib.crc32(data[:-4]) & 0xFFFFFFFF:
        raise ValueError("checksum mismatch")
    version, = struct.unpack_from("<I", data, 8)
    if version != FORMAT_VERSION:
        raise ValueError(f"format version {version}, expected {FORMAT_VERSION}")
    widths = struct.unpack_from("<4I", data, 12)
    n_classes, = struct.unpack_from("<I", data, 28)
    n_layers, = struct.unpack_from("<I", data, 40)
    pos, params = 44, {}
    for name in NucleiNet.LAYERS[:n_layers]:
        cout, cin, k = struct.unpack_from("<3I", data, pos)
        pos += 12
        w = np.frombuffer(data, "<f4", cout * cin * k * k, pos).reshape(cout, cin, k, k)
        pos += 4 * w.size
        b = np.frombuffer(data, "<f4", cout, pos)
        pos += 4 * cout
        params[name] = (torch.from_numpy(w.copy()), torch.from_numpy(b.copy()))
    return params, widths, n_classes


class FoldedNet(nn.Module):
    """The network exactly as a weight file stores it (float32, BN folded): what the
    reference outputs are computed with."""

    def __init__(self, data):
        super().__init__()
        self.params, self.widths, self.n_classes = parse_weights(data)

    def conv(self, name, x, relu):
        w, b = self.params[name]
        y = F.conv2d(x, w, b, padding=w.shape[-1] // 2)
        return F.relu(y) if relu else y

    def forward(self, image):
        c = self.conv
        x = F.pixel_unshuffle(image, 2)
        e1 = c("e1b", c("e1a", x, True), True)
        e2 = c("e2b", c("e2a", F.max_pool2d(e1, 2), True), True)
        e3 = c("e3b", c("e3a", F.max_pool2d(e2, 2), True), True)
        e4 = c("e4b", c("e4a", F.max_pool2d(e3, 2), True), True)
        d3 = c("d3", F.interpolate(c("p3", e4, False), scale_factor=2, mode="nearest") + e3, True)
        d2 = c("d2", F.interpolate(c("p2", d3, False), scale_factor=2, mode="nearest") + e2, True)
        d1 = c("d1", F.interpolate(c("p1", d2, False), scale_factor=2, mode="nearest") + e1, True)
        full = torch.cat([F.pixel_shuffle(c("head", d1, False), 2), image], dim=1)
        return c("out", c("r1", full, True), False)


def percentile_value(img, pct):
    """The value at rank floor(pct/100 * (n - 1)) of the sorted pixels (C: histogram walk)."""
    flat = np.sort(img.reshape(-1))
    idx = int(np.floor(pct / 100.0 * (flat.size - 1)))
    return float(flat[idx])


def normalise(img):
    """float32 image: (v - lo) / (hi - lo), or v - lo when hi == lo (a flat image)."""
    lo = percentile_value(img, NORM_LO_PCT)
    hi = percentile_value(img, NORM_HI_PCT)
    scale = np.float32(1.0 / (hi - lo)) if hi > lo else np.float32(1.0)
    return (img.astype(np.float32) - np.float32(lo)) * scale


def pad16(x):
    """Zero-pad the bottom and right of an H x W array to multiples of 16."""
    h, w = x.shape
    H, W = (h + 15) // 16 * 16, (w + 15) // 16 * 16
    out = np.zeros((H, W), np.float32)
    out[:h, :w] = x
    return out


def predict_probs(model, img):
    """Class probabilities K x H x W of one 2-D image (any integer type), as the C side computes them."""
    h, w = img.shape
    x = pad16(normalise(img))
    with torch.no_grad():
        logits = model(torch.from_numpy(x)[None, None])
        probs = torch.softmax(logits, dim=1)[0, :, :h, :w]
    return probs.numpy()
