#!/usr/bin/env bash
# The GPU comparison of issue 7, for a session lent a `device` (an NVIDIA box without Node): our seed
# step on WebGPU (Dawn on Vulkan; the jitted step is one queue submission) and PyTorch eager's step
# (../shared/bench/torch-vit/bench.py) on the same GPU, in one command. Not run yet: no device had
# been lent when it was written.
# Prepare here (x86-64 Linux, after `npm ci && npm run build`):
#   bash ../shared/tools/portable-bundle.sh build && cp -r ../shared/bench/torch-vit .bundle/torch-vit
# then on the device, from the project root, carrying .bundle:  bash bench/gpu-device.sh
# Results go to $OUT (the device tool's output folder), else /tmp/gpu-bench.
set -euo pipefail
out=${OUT:-/tmp/gpu-bench}
mkdir -p "$out"
ldconfig -p | grep -q libvulkan.so.1 || { for f in .bundle/debs/*.deb; do dpkg -x "$f" /; done; ldconfig; }
xz -dc .bundle/node.xz > /tmp/node && chmod +x /tmp/node
mkdir -p /tmp/app && tar xJf .bundle/app.tar.xz -C /tmp/app
{ nvidia-smi || true; } > "$out/nvidia-smi.txt" 2>&1
# ours: the seed config, batch 128; SHAPED_VIT_DEBUG=1 prints the adapter and the jit executor
(cd /tmp/app && SHAPED_VIT_DEBUG=1 timeout 300 /tmp/node build/bench/main.js --configs seed --backends webgpu --batch 128 --steps 10 --warmup 3) > "$out/ours.txt" 2>&1 || echo "ours failed: $?" >> "$out/ours.txt"
# PyTorch eager on the same GPU, same config and batch
timeout 200 python3 .bundle/torch-vit/bench.py --config seed --batch 128 --steps 50 --warmup 10 --device cuda > "$out/torch.txt" 2>&1 || echo "torch failed: $?" >> "$out/torch.txt"
tail -n 3 "$out/ours.txt" "$out/torch.txt"
