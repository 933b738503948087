# PyTorch side of test/torch-indexing.test.ts: prod, cumprod, argmax/argmin, gather (numpy's take),
# takeAlongAxis and scatterAdd, plus compositions of them with torch_reference.py's ops (its
# protocol: cases as JSON on stdin, outputs and gradients of sum(w * out) on stdout).
import torch

import torch_reference as reference


def prod(x, axis, keep):
    if axis is None:
        out = torch.prod(x)
        return out.reshape([1] * x.dim()) if keep else out
    for d in sorted([a % x.dim() for a in ([axis] if isinstance(axis, int) else axis)], reverse=True):
        x = torch.prod(x, dim=d, keepdim=keep)
    return x


def arg(f, x, axis, keep):
    if axis is None:
        out = f(x.reshape(-1), dim=0)
        return (out.reshape([1] * x.dim()) if keep else out).double()
    return f(x, dim=axis, keepdim=keep).double()


def gather(x, idx, axis):
    """numpy's take along an axis: the result has the indices' shape at the axis."""
    axis %= x.dim()
    picked = torch.index_select(x, axis, idx.reshape(-1))
    return picked.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])


def run(op, xs, a):
    if op == 'prod':
        return prod(xs[0], a.get('axis'), a.get('keepDims', False))
    if op == 'cumprod':
        return torch.cumprod(xs[0], dim=a['axis'])
    if op == 'argmax':
        return arg(torch.argmax, xs[0], a.get('axis'), a.get('keepDims', False))
    if op == 'argmin':
        return arg(torch.argmin, xs[0], a.get('axis'), a.get('keepDims', False))
    if op == 'gather':
        return gather(xs[0], xs[1].detach().long(), a['axis'])
    if op == 'takeAlongAxis':
        return torch.take_along_dim(xs[0], xs[1].detach().long(), dim=a['axis'])
    if op == 'scatterAdd':
        return xs[0].scatter_add(a['axis'], xs[1].detach().long(), xs[2])
    if op == 'program':
        return reference.program(xs, a['steps'], run)
    return reference.run(op, xs, a)


if __name__ == '__main__':
    reference.main(run)
