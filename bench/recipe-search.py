"""Recipe search for `npm run train:cifar`'s CPU preset, run on a GPU with PyTorch (issue 17, section 2).

Test accuracy after N epochs depends on the recipe, not on the machine, so a GPU can try many recipes in the
time one CPU run takes; the winner is then timed and confirmed with shaped-vit itself on the CPU. Each recipe is
the twin of ours: the ViT of ../shared/bench/torch-vit/bench.py (the model shaped-vit reproduces), AdamW or Adam
with its weight decay on every parameter, label smoothing, cosine annealing stepped once per epoch (torch's
CosineAnnealingLR, eta_min) after an optional linear warmup, and torchvision's RandomCrop(32, padding=4) plus
RandomHorizontalFlip for --augment flip-crop. Optional: EMA of the weights for evaluation (not in shaped-vit yet),
and the pooling: "cls" (the class token, as in the recipe), "mean" (the mean of all tokens' final LayerNorm, class
token kept: shaped-vit's --pool mean) or "gap" (the mean of the patch tokens, no class token).

Usage: python3 bench/recipe-search.py --data CIFAR_DIR --torch-vit DIR [--parallel 8] [--only a,b] > results.jsonl
(without a GPU it runs on the CPU, one thread per recipe: /usr/bin/python3 with Debian's torch 1.13)
Prints one JSON line per recipe and epoch: name, epoch, test_accuracy (all 10,000 images), the recipe, and
cost: forward multiply-adds per image times images seen, relative to the quick preset's 14 epochs.
"""
import argparse, json, math, os, subprocess, sys, time

QUICK = dict(patch=8, dim=64, heads=4, mlp=128, layers=2, batch=64, epochs=14, lr=2e-3, wd=0.05, opt="adamw",
             smoothing=0.1, warmup=0, eta_min=1e-5, augment="none", ema=0.0, pool="cls")


def recipe(**kw):
    r = dict(QUICK)
    r.update(kw)
    return r


RECIPES = {
    "quick": recipe(),
    "quick-fc": recipe(augment="flip-crop"),
    "quick-fc20": recipe(augment="flip-crop", epochs=20),
    "quick-fc30": recipe(augment="flip-crop", epochs=30),
    "quick-fc20-lr3": recipe(augment="flip-crop", epochs=20, lr=3e-3),
    "quick-fc20-b128": recipe(augment="flip-crop", epochs=20, batch=128, lr=3e-3),
    "quick-fc20-ema": recipe(augment="flip-crop", epochs=20, ema=0.999),
    "quick-fc20-ls0": recipe(augment="flip-crop", epochs=20, smoothing=0.0),
    "quick-fc20-h2": recipe(augment="flip-crop", epochs=20, heads=2),
    "e96-fc14": recipe(augment="flip-crop", dim=96, mlp=192),
    "l3-fc20": recipe(augment="flip-crop", epochs=20, layers=3),
    "m256-fc20": recipe(augment="flip-crop", epochs=20, mlp=256),
    "p4-fc5": recipe(augment="flip-crop", patch=4, epochs=5),
    "p4-e32-fc10": recipe(augment="flip-crop", patch=4, dim=32, heads=2, mlp=64, epochs=10),
    "p4-e48-fc8": recipe(augment="flip-crop", patch=4, dim=48, heads=4, mlp=96, epochs=8),
    "e128-l2-fc10": recipe(augment="flip-crop", dim=128, mlp=256, epochs=10),
    "quick-fc40": recipe(augment="flip-crop", epochs=40),
    "quick-fc20-wd01": recipe(augment="flip-crop", epochs=20, wd=0.1),
    "quick-fc20-warm2": recipe(augment="flip-crop", epochs=20, warmup=2),
    "quick-fc30-b128": recipe(augment="flip-crop", epochs=30, batch=128, lr=3e-3),
    "p4-fc8": recipe(augment="flip-crop", patch=4, epochs=8),
    "e96-l3-fc14": recipe(augment="flip-crop", dim=96, mlp=192, layers=3),
    "e80-fc20": recipe(augment="flip-crop", dim=80, mlp=160, epochs=20),
    # the 3-layer preset of 2026-12-05 and variants at about its compute
    "l3-b128-fc36": recipe(augment="flip-crop", layers=3, batch=128, lr=3e-3, epochs=36),
    "l3-b128-fc36-gap": recipe(augment="flip-crop", layers=3, batch=128, lr=3e-3, epochs=36, pool="gap"),
    "l3-b128-fc36-mean": recipe(augment="flip-crop", layers=3, batch=128, lr=3e-3, epochs=36, pool="mean"),
}


def macs(r):
    """Forward multiply-adds per image: patch projection, per-token linears, attention scores and mixing, head."""
    tokens = (32 // r["patch"]) ** 2 + (r["pool"] != "gap")
    e, m = r["dim"], r["mlp"]
    per_token = r["layers"] * (4 * e * e + 2 * e * m)
    attention = r["layers"] * 2 * tokens * tokens * e
    return (tokens - 1) * 3 * r["patch"] ** 2 * e + tokens * per_token + attention + e * 10


def cost(r):
    return round(macs(r) * r["epochs"] / (macs(QUICK) * QUICK["epochs"]), 2)


def pooled_vit(model, pool):
    """The same ViT classified from the mean of its tokens' final LayerNorm: all of them, class token kept
    ("mean", shaped-vit's --pool mean), or the patch tokens alone, no class token ("gap")."""
    import types
    import torch
    from torch import nn
    if pool == "gap":
        del model.class_token
        model.pos_embedding = nn.Parameter(model.pos_embedding.detach()[:, 1:].clone())

    def forward(self, x):
        n, c, h, w = x.shape
        p = self.p
        x = self.seq_project(x.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(n, (h // p) * (w // p), -1))
        if pool == "mean":
            x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        return self.classifier(self.ln(self.encoder(x + self.pos_embedding)).mean(1))

    model.forward = types.MethodType(forward, model)
    return model


def train(name, r, data, torch_vit):
    import torch
    from torch import nn
    sys.path.insert(0, torch_vit)
    from bench import ViT, MEAN, STD, load_split

    torch.set_num_threads(1)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    model = ViT(patch_size=r["patch"], embed_dim=r["dim"], n_heads=r["heads"], diff_dim=r["mlp"], num_layers=r["layers"])
    if r["pool"] != "cls":
        model = pooled_vit(model, r["pool"])
    model = model.to(dev)
    ema = [p.detach().clone() for p in model.parameters()] if r["ema"] else None
    Opt = torch.optim.AdamW if r["opt"] == "adamw" else torch.optim.Adam
    opt = Opt(model.parameters(), lr=r["lr"], betas=(0.9, 0.999), weight_decay=r["wd"])
    crit = nn.CrossEntropyLoss(label_smoothing=r["smoothing"])
    mean, std = MEAN.to(dev), STD.to(dev)
    xtr, ytr = load_split(data, [f"data_batch_{i}.bin" for i in range(1, 6)])
    xte, yte = load_split(data, ["test_batch.bin"])
    xtr, ytr, xte, yte = xtr.to(dev), ytr.to(dev), xte.to(dev), yte.to(dev)
    ar = torch.arange(32, device=dev)

    def augment(x):
        if r["augment"] == "none":
            return x
        b = x.shape[0]
        padded = nn.functional.pad(x, (4, 4, 4, 4))
        top = torch.randint(0, 9, (b,), device=dev)
        left = torch.randint(0, 9, (b,), device=dev)
        rows = (top[:, None] + ar)[:, None, :, None]
        cols = (left[:, None] + ar)[:, None, None, :]
        x = padded[torch.arange(b, device=dev)[:, None, None, None], torch.arange(3, device=dev)[None, :, None, None], rows, cols]
        flip = torch.rand(b, device=dev) < 0.5
        return torch.where(flip[:, None, None, None], x.flip(3), x)

    def lr_at(epoch):
        if r["warmup"] and epoch < r["warmup"]:
            return r["lr"] * (epoch + 1) / r["warmup"]
        return r["eta_min"] + (r["lr"] - r["eta_min"]) * (1 + math.cos(math.pi * epoch / r["epochs"])) / 2

    t0 = time.perf_counter()
    for epoch in range(r["epochs"]):
        for g in opt.param_groups:
            g["lr"] = lr_at(epoch)
        model.train()
        perm = torch.randperm(len(xtr), device=dev)
        for i in range(0, len(xtr), r["batch"]):
            idx = perm[i:i + r["batch"]]
            loss = crit(model((augment(xtr[idx]) - mean) / std), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if ema is not None:
                with torch.no_grad():
                    torch._foreach_mul_(ema, r["ema"])
                    torch._foreach_add_(ema, [p.detach() for p in model.parameters()], alpha=1 - r["ema"])
        model.eval()
        saved = None
        if ema is not None:
            saved = [p.detach().clone() for p in model.parameters()]
            with torch.no_grad():
                for e, p in zip(ema, model.parameters()):
                    p.copy_(e)
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xte), 1000):
                correct += (model((xte[i:i + 1000] - mean) / std).argmax(1) == yte[i:i + 1000]).sum().item()
        if saved is not None:
            with torch.no_grad():
                for s, p in zip(saved, model.parameters()):
                    p.copy_(s)
        print(json.dumps(dict(name=name, epoch=epoch + 1, test_accuracy=round(correct / len(xte), 4), cost=cost(r),
                              seconds=round(time.perf_counter() - t0, 1), recipe=r)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--torch-vit", required=True, help="folder of ../shared/bench/torch-vit (its bench.py defines the ViT)")
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--only", help="comma-separated recipe names")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        train(a.one, RECIPES[a.one], a.data, a.torch_vit)
        return
    names = a.only.split(",") if a.only else list(RECIPES)
    for n in names:
        if n not in RECIPES:
            sys.exit(f"recipe-search.py: unknown recipe '{n}' (known: {', '.join(RECIPES)})")
    # longest first, so the slowest do not start last
    names.sort(key=lambda n: -cost(RECIPES[n]))
    running = []
    while names or running:
        while names and len(running) < a.parallel:
            n = names.pop(0)
            running.append(subprocess.Popen([sys.executable, __file__, "--data", a.data, "--torch-vit", a.torch_vit, "--one", n]))
        time.sleep(0.5)
        running = [p for p in running if p.poll() is None]


if __name__ == "__main__":
    main()
