# PyTorch side of test/torch-differential.test.ts: reads cases (JSON on stdin), runs each through
# torch in float64, returns the outputs and the gradients of sum(w * out) (JSON on stdout).
import json
import sys

import torch
import torch.nn.functional as F

UNARY = {
    'abs': torch.abs, 'sign': torch.sign, 'square': torch.square, 'sigmoid': torch.sigmoid, 'softplus': F.softplus,
    'sin': torch.sin, 'cos': torch.cos, 'log1p': torch.log1p, 'expm1': torch.expm1, 'erf': torch.erf,
    'reciprocal': torch.reciprocal, 'exp': torch.exp, 'tanh': torch.tanh, 'relu': torch.relu, 'gelu': F.gelu,
}
BINARY = {
    'maximum': torch.maximum, 'minimum': torch.minimum, 'pow': torch.pow, 'mul': torch.mul, 'add': torch.add,
    'greater': lambda a, b: torch.gt(a, b).double(), 'greaterEqual': lambda a, b: torch.ge(a, b).double(),
    'less': lambda a, b: torch.lt(a, b).double(), 'lessEqual': lambda a, b: torch.le(a, b).double(),
    'notEqual': lambda a, b: torch.ne(a, b).double(),
}


def reduce_axes(a):
    return a.get('axis', None)


def run(op, xs, a):
    if op in UNARY:
        return UNARY[op](xs[0])
    if op in BINARY:
        return BINARY[op](xs[0], xs[1])
    if op == 'powScalar':
        return torch.pow(xs[0], a['exponent'])
    if op == 'clip':
        return torch.clamp(xs[0], a['lo'], a['hi'])
    if op == 'where':
        return torch.where(xs[0] != 0, xs[1], xs[2])
    if op == 'conv2d':
        return F.conv2d(xs[0], xs[1], stride=a.get('stride', 1), padding=a.get('padding', 0), dilation=a.get('dilation', 1), groups=a.get('groups', 1))
    if op == 'convTranspose2d':
        return F.conv_transpose2d(xs[0], xs[1], stride=a.get('stride', 1), padding=a.get('padding', 0), output_padding=a.get('outputPadding', 0),
                                  groups=a.get('groups', 1), dilation=a.get('dilation', 1))
    if op == 'maxPool2d':
        return F.max_pool2d(xs[0], a['kernel'], stride=a.get('stride', a['kernel']), padding=a.get('padding', 0))
    if op == 'avgPool2d':
        return F.avg_pool2d(xs[0], a['kernel'], stride=a.get('stride', a['kernel']), padding=a.get('padding', 0))
    if op == 'adaptiveAvgPool2d':
        return F.adaptive_avg_pool2d(xs[0], a['size'])
    keep = a.get('keepDims', False)
    axis = reduce_axes(a)
    dims = tuple(range(xs[0].dim())) if axis is None else axis
    if op == 'min':
        return torch.amin(xs[0], dim=dims, keepdim=keep)
    if op == 'logsumexp':
        return torch.logsumexp(xs[0], dim=dims, keepdim=keep)
    if op == 'variance':
        return torch.var(xs[0], dim=dims, unbiased=False, keepdim=keep)
    if op == 'std':
        return torch.std(xs[0], dim=dims, unbiased=False, keepdim=keep)
    if op == 'cumsum':
        return torch.cumsum(xs[0], dim=a['axis'])
    if op == 'program':
        return program(xs, a['steps'], run)
    if op == 'einsum':
        return torch.einsum(a['subscripts'], *xs)
    raise ValueError('unknown op ' + op)


def program(xs, steps, run_op):
    """A random composition: each step applies an op (run_op) to the running value (and input k)."""
    v = xs[0]
    for s in steps:
        v = run_op(s['op'], [v] + [xs[k] for k in s.get('inputs', [])], s.get('args', {}))
    return v


def main(run_op=run):
    """Reads the cases, answers each one's output and gradients; run_op runs one op (other scripts extend run)."""
    cases = json.load(sys.stdin)
    results = []
    for c in cases:
        xs = [torch.tensor(i['data'], dtype=torch.float64).reshape(i['shape']).requires_grad_(i.get('grad', True)) for i in c['inputs']]
        out = run_op(c['op'], xs, c.get('args', {}))
        result = {'shape': list(out.shape), 'out': out.detach().reshape(-1).tolist(), 'grads': []}
        wrt = [x for x in xs if x.requires_grad]
        if c.get('grad', True) and wrt:
            w = torch.tensor(c['weights'], dtype=torch.float64).reshape(out.shape)
            grads = torch.autograd.grad((out * w).sum(), wrt, allow_unused=True)
            result['grads'] = [(g if g is not None else torch.zeros_like(x)).reshape(-1).tolist() for g, x in zip(grads, wrt)]
        results.append(result)
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
