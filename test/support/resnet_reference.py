# PyTorch side of test/resnet.test.ts: the same ResNet as src/resnet (module names = its
# state_dict names). Reads {config, state, images} (JSON on stdin), loads the weights, and prints
# {parameters, logits} (float64), so the parameter count and the forward pass are compared.
import json
import sys

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, i, o, stride, groups):
        super().__init__()
        self.conv1 = nn.Conv2d(i, o, 3, stride, 1, bias=False)
        self.norm1 = nn.GroupNorm(groups, o)
        self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False)
        self.norm2 = nn.GroupNorm(groups, o)
        self.shortcut = nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.GroupNorm(groups, o)) if stride != 1 or i != o else None

    def forward(self, x):
        h = torch.relu(self.norm1(self.conv1(x)))
        h = self.norm2(self.conv2(h))
        return torch.relu(h + (x if self.shortcut is None else self.shortcut(x)))


class ResNet(nn.Module):
    def __init__(self, num_classes, image_size, in_channels, width, blocks, norm_groups):
        super().__init__()
        w = [width, 2 * width, 4 * width]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, w[0], 3, 1, 1, bias=False), nn.GroupNorm(norm_groups, w[0]), nn.ReLU())
        self.layer1 = nn.Sequential(*[Block(w[0], w[0], 1, norm_groups) for _ in range(blocks)])
        self.layer2 = nn.Sequential(Block(w[0], w[1], 2, norm_groups), *[Block(w[1], w[1], 1, norm_groups) for _ in range(blocks - 1)])
        self.layer3 = nn.Sequential(Block(w[1], w[2], 2, norm_groups), *[Block(w[2], w[2], 1, norm_groups) for _ in range(blocks - 1)])
        self.fc = nn.Linear(w[2], num_classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(x.mean(dim=(2, 3)))


req = json.load(sys.stdin)
model = ResNet(**req['config']).double()
state = {k: torch.tensor(v['data'], dtype=torch.float64).reshape(v['shape']) for k, v in req['state'].items()}
model.load_state_dict(state, strict=True)
images = torch.tensor(req['images']['data'], dtype=torch.float64).reshape(req['images']['shape'])
with torch.no_grad():
    logits = model(images)
json.dump({'parameters': sum(p.numel() for p in model.parameters()), 'names': list(model.state_dict().keys()), 'logits': logits.flatten().tolist()}, sys.stdout)
