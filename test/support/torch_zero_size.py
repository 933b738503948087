# PyTorch side of test/zero-size.test.ts: ops over tensors with a dim of 0 (torch_structure.py's and
# torch_reference.py's ops, plus the reductions and products they lack), its protocol.
import torch

import torch_reference as reference
import torch_structure as structure


def run(op, xs, a):
    if op == 'sum':
        return xs[0].sum(dim=a['axis'])
    if op == 'prod':
        return xs[0].prod(dim=a['axis'])
    if op == 'matmul':
        return torch.matmul(xs[0], xs[1])
    return structure.run(op, xs, a)


if __name__ == '__main__':
    reference.main(run)
