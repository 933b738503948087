#!/usr/bin/env bash
# The GPU comparison of issue 16, for a machine with a GPU and no Node (the device tool's box): our
# ViT step on WebGPU (Dawn on Vulkan) and PyTorch eager's (../shared/bench/torch-vit/bench.py) on the
# same GPU, and, when CIFAR-10 travels in the bundle, a 1-epoch seed-recipe run on it.
# Prepare here (x86-64 Linux, after `npm ci && npm run build`), in a plain clone (the bundle tool
# writes .git/info/exclude, which a worktree lacks):
#   bash ../shared/tools/portable-bundle.sh build && cp -r ../shared/bench/torch-vit .bundle/torch-vit
#   (cd .bundle/debs && apt-get download libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2)   # the NVIDIA ICD's deps
#   optional: ../shared/data/cifar10/make-cifar10.sh .bundle/cifar10 (too big for the device's 64 MiB)
# then on the device, from the project root, carrying .bundle:  bash bench/gpu-device.sh
# Runs with nothing but the bundle: its node, its node_modules, its Vulkan loader (unpacked under a
# temporary folder, never into /). Results go to $OUT (the device tool's output folder), else
# /tmp/gpu-bench: adapters.jsonl (what Dawn offers per backend), summary.txt, ours.txt, torch.txt,
# cifar.txt, nvidia-smi.txt.
# Dawn seeing only a CPU adapter (llvmpipe, lavapipe, SwiftShader: no Vulkan driver for the GPU)
# is said in summary.txt and on stderr; every Dawn backend is tried first (vulkan, opengl, opengles).
# Then it stops with status 3, unless --allow-software: then it measures on the software adapter
# (how the script is proven on a machine without a GPU).
# Sizes: CONFIG (seed), BATCH (128), STEPS (10), WARMUP (3), TORCH_STEPS (50).
set -uo pipefail
allow_software=0
for a in "$@"; do
  case "$a" in
    --allow-software) allow_software=1 ;;
    *) echo "gpu-device.sh: unknown argument '$a' (only --allow-software)" >&2; exit 2 ;;
  esac
done
out=${OUT:-/tmp/gpu-bench}
bundle=$(cd "${BUNDLE:-.bundle}" 2>/dev/null && pwd) || { echo "gpu-device.sh: no bundle folder ${BUNDLE:-.bundle}: build it first (see this script's header)" >&2; exit 2; }
for f in node.xz app.tar.xz; do [ -f "$bundle/$f" ] || { echo "gpu-device.sh: $bundle/$f is missing: build the bundle first (see this script's header)" >&2; exit 2; }; done
config=${CONFIG:-seed} batch=${BATCH:-128} steps=${STEPS:-10} warmup=${WARMUP:-3} torch_steps=${TORCH_STEPS:-50}
mkdir -p "$out"
work=$(mktemp -d /tmp/gpu-device.XXXXXX)
trap 'rm -rf "$work"' EXIT
say() { echo "$*" | tee -a "$out/summary.txt" >&2; }
: > "$out/summary.txt"

# the Vulkan loader from the bundle where the machine has none, with libglvnd: NVIDIA's Vulkan ICD
# (libGLX_nvidia.so.0) needs libGLdispatch, else the loader finds no driver (seen on the H200 box)
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  ls "$bundle"/debs/libglvnd0_*.deb >/dev/null 2>&1 || say "warning: no libglvnd0 in $bundle/debs: NVIDIA's Vulkan driver will not load (see this script's header)"
  for f in "$bundle"/debs/*.deb; do [ -f "$f" ] && dpkg -x "$f" "$work/root"; done
  libs=$(find "$work/root" -name 'libvulkan.so.1' -printf '%h\n' 2>/dev/null | head -n 1)
  if [ -n "$libs" ]; then export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; say "Vulkan loader: from the bundle ($libs)"; else say "Vulkan loader: none on this machine and none in the bundle"; fi
fi
# the GPU's drivers where the device machine keeps them, unless given
nv=/usr/local/nvidia/share
[ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nv/vulkan/icd.d/nvidia_icd.json" ] && export VK_DRIVER_FILES="$nv/vulkan/icd.d/nvidia_icd.json"
[ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$nv/glvnd/egl_vendor.d/10_nvidia.json" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$nv/glvnd/egl_vendor.d/10_nvidia.json"
export EGL_PLATFORM=${EGL_PLATFORM:-surfaceless}
say "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset} __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-unset}"

node=$work/node
xz -dc "$bundle/node.xz" > "$node" && chmod +x "$node"
app=$work/app
mkdir -p "$app" && tar xJf "$bundle/app.tar.xz" -C "$app"
{ nvidia-smi || echo "no nvidia-smi"; } > "$out/nvidia-smi.txt" 2>&1

# what Dawn offers, backend by backend: a hardware adapter is wanted
: > "$out/adapters.jsonl"
chosen=
for b in vulkan opengl opengles; do
  line=$(cd "$app" && SHAPED_VIT_DAWN_BACKEND=$b timeout 120 "$node" build/bench/dawn-adapter.js 2>>"$out/adapters.err")
  [ -n "$line" ] || line="{\"backend\":\"$b\",\"adapter\":null,\"software\":null,\"error\":\"the probe failed (adapters.err)\"}"
  echo "$line" >> "$out/adapters.jsonl"
  say "Dawn $b: $line"
  [ -z "$chosen" ] && echo "$line" | grep -q '"software":false' && chosen=$b
done
software_first=$(grep -m1 '"software":true' "$out/adapters.jsonl" | sed 's/.*"backend":"\([a-z]*\)".*/\1/')
if [ -z "$chosen" ]; then
  if grep -q '"software":true' "$out/adapters.jsonl"; then
    say "NO GPU ADAPTER: Dawn sees only a CPU (software) adapter on every backend, so no Vulkan (or GL) driver for the GPU was found. Set VK_DRIVER_FILES to the GPU's ICD json (NVIDIA: .../vulkan/icd.d/nvidia_icd.json) and make sure libvulkan.so.1 loads."
  else
    say "NO ADAPTER: Dawn offers no WebGPU adapter on any backend (adapters.err has Dawn's messages)."
  fi
  if [ "$allow_software" != 1 ] || [ -z "$software_first" ]; then say "gave up: nothing measured (--allow-software measures on the software adapter)"; exit 3; fi
  chosen=$software_first
  say "measuring on the SOFTWARE adapter (--allow-software): Dawn $chosen; these numbers are no GPU's"
else
  say "GPU adapter: Dawn $chosen"
fi
export SHAPED_VIT_DAWN_BACKEND=$chosen

# ours: the jitted step kernel by kernel (state stays on the device), with one step's kernel profile
(cd "$app" && SHAPED_VIT_DEBUG=1 timeout 1200 "$node" build/bench/main.js --configs "$config" --backends webgpu --batch "$batch" --steps "$steps" --warmup "$warmup" --profile) > "$out/ours.txt" 2>&1
ours_rc=$?
ours=$(grep -m1 "^$config *webgpu" "$out/ours.txt")
say "ours (rc $ours_rc): ${ours:-no result line (ours.txt)}"
# the same step as one gpu.js pipeline (it reads results back and uploads arguments every call), and
# the small config (torch-vit's "quick": P8 E128 H4 M256 L4) kernel by kernel; appended to ours.txt
# (the device tool returns at most 8 files)
for run in "$config pipeline" "small auto"; do
  set -- $run
  echo "== --configs $1 --executor $2" >> "$out/ours.txt"
  (cd "$app" && timeout 600 "$node" build/bench/main.js --configs "$1" --backends webgpu --batch "$batch" --steps "$steps" --warmup "$warmup" --executor "$2") >> "$out/ours.txt" 2>&1
  say "ours $1 executor $2 (rc $?): $(grep "^$1 *webgpu" "$out/ours.txt" | tail -n 1)"
done

# webgpu's row statistics kernels, ours (WGSL workgroup reduction) vs gpu.js's, at the ViT's row shapes
echo "== bench/rows.js 5 $batch" >> "$out/ours.txt"
(cd "$app" && timeout 300 "$node" build/bench/rows.js 5 "$batch") >> "$out/ours.txt" 2>&1
say "ours row statistics (rc $?): bench/rows.js in ours.txt"
# GFLOP/s of the small config's matmuls, our tiled WGSL kernel vs gpu.js's (rounds of 5 back to back, a row of the last read back)
echo "== bench/matmul.js webgpu 5" >> "$out/ours.txt"
(cd "$app" && SHAPED_VIT_NO_TFJS=1 timeout 300 "$node" build/bench/matmul.js webgpu 5) >> "$out/ours.txt" 2>&1
say "ours matmul GFLOP/s (rc $?): bench/matmul.js in ours.txt"

# PyTorch eager on the same device, same config and batch
torch_ms=
if [ -f "$bundle/torch-vit/bench.py" ] && command -v python3 >/dev/null; then
  device=cpu
  python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null && device=cuda
  timeout 600 python3 "$bundle/torch-vit/bench.py" --config "$config" --batch "$batch" --steps "$torch_steps" --warmup "$warmup" --device "$device" > "$out/torch.txt" 2>&1
  say "torch $device (rc $?): $(tail -n 1 "$out/torch.txt")"
  torch_ms=$(grep -o '"ms_per_step": *[0-9.]*' "$out/torch.txt" | tail -n 1 | grep -o '[0-9.]*$')
  # torch-vit's "quick" is our "small" (558,730 parameters), not our quick preset
  timeout 300 python3 "$bundle/torch-vit/bench.py" --config quick --batch "$batch" --steps "$torch_steps" --warmup "$warmup" --device "$device" >> "$out/torch.txt" 2>&1
  say "torch $device quick, our small config (rc $?): $(tail -n 1 "$out/torch.txt")"
else
  say "torch: not run (no $bundle/torch-vit/bench.py or no python3)"
fi
ours_ms=$(echo "$ours" | grep -o 'train (jit) [0-9.]* ms' | grep -o '[0-9.]*')
if [ -n "$ours_ms" ] && [ -n "$torch_ms" ]; then
  say "ratio ours/torch ms per step: $(awk -v a="$ours_ms" -v b="$torch_ms" 'BEGIN { printf "%.2f", a / b }') (goal <= 1.5)"
fi

# 1 epoch of the seed recipe on real CIFAR-10, when it travelled
if [ -d "$bundle/cifar10" ]; then
  (cd "$app" && timeout 1800 "$node" build/src/cli/main.js train-cifar --preset seed --epochs 1 --backend webgpu --data-dir "$bundle/cifar10" --out-dir "$work/run") > "$out/cifar.txt" 2>&1
  say "cifar 1 epoch (rc $?): $(tail -n 2 "$out/cifar.txt" | tr '\n' ' ')"
else
  say "cifar: not run (no $bundle/cifar10; CIFAR-10 is larger than the device's 64 MiB transfer)"
fi
[ "$ours_rc" = 0 ] || exit 1
