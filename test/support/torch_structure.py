# PyTorch side of test/torch-structure.test.ts: the structure ops (numpy's names and conventions on
# our side), plus compositions of them with torch_reference.py's ops (its protocol: cases as JSON on
# stdin, outputs and gradients of sum(w * out) on stdout).
import torch
import torch.nn.functional as F

import torch_reference as reference


def squeeze(x, axis):
    if axis is None:
        return x.squeeze()
    axes = sorted((a % x.dim() for a in (axis if isinstance(axis, list) else [axis])), reverse=True)
    for a in axes:
        x = x.squeeze(a)
    return x


def pad(x, widths, value):
    flat = [w for pair in reversed(widths) for w in pair]  # F.pad lists pairs from the last axis
    return F.pad(x, flat, value=value)


def split_part(x, spec, axis, part):
    # numpy's split: a sections count (equal parts) or the indices to cut before
    return torch.tensor_split(x, spec, dim=axis)[part]


STRUCTURE = {
    'stack': lambda xs, a: torch.stack(xs, dim=a['axis']),
    'concat': lambda xs, a: torch.cat(xs, dim=a['axis']),
    'squeeze': lambda xs, a: squeeze(xs[0], a.get('axis')),
    'expandDims': lambda xs, a: xs[0].unsqueeze(a['axis']),
    'flatten': lambda xs, a: torch.flatten(xs[0], a.get('start', 0), a.get('end', -1)),
    'pad': lambda xs, a: pad(xs[0], a['widths'], a.get('value', 0)),
    'split': lambda xs, a: split_part(xs[0], a['spec'], a.get('axis', 0), a['part']),
    'oneHot': lambda xs, a: F.one_hot(xs[0].long(), a['n']).double(),
    'mulArange': lambda xs, a: xs[0] * torch.arange(a['start'], a['stop'], a['step'], dtype=torch.float64),
    'mulEye': lambda xs, a: xs[0] * torch.eye(a['n'], a['m'], dtype=torch.float64),
    'mulLinspace': lambda xs, a: xs[0] * torch.linspace(a['start'], a['stop'], a['num'], dtype=torch.float64),
    # steps of random compositions: the running value with a function of itself
    'concatSin': lambda xs, a: torch.cat([xs[0], xs[0].sin()], dim=a['axis']),
    'stackSquareFlat': lambda xs, a: torch.flatten(torch.stack([xs[0], xs[0].square()], dim=a['axis']), a['axis'], a['axis'] + 1),
}


def run(op, xs, a):
    if op in STRUCTURE:
        return STRUCTURE[op](xs, a)
    if op == 'program':
        return reference.program(xs, a['steps'], run)
    return reference.run(op, xs, a)


if __name__ == '__main__':
    reference.main(run)
