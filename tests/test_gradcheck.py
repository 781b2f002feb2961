"""gradcheck catches wrong gradients and names the input and element that disagree."""
import numpy as np
import pytest

import autograd_c as ag
from autograd_c import GradcheckError


def make_wrong_mul(bad_input, bad_index, delta=0.5):
    """x * y whose backward is right except at one element of one input."""

    class WrongMul(ag.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            grads = [(g * y).numpy().copy(), (g * x).numpy().copy()]
            grads[bad_input][bad_index] += delta
            return tuple(grads)

    return WrongMul


class WrongCube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2.0 * x * x * g          # should be 3 x^2


def leaf(rng, *shape):
    return ag.Tensor(rng.standard_normal(shape), requires_grad=True)


def test_correct_function_passes(engine, rng):
    Right = make_wrong_mul(0, (0, 0), delta=0.0)
    assert ag.gradcheck(Right.apply, [leaf(rng, 3, 4), leaf(rng, 3, 4)]) is True
    assert ag.gradcheck(lambda a, b: ag.tanh(a @ b).sum(axis=0),
                        [leaf(rng, 3, 2), leaf(rng, 2, 5)]) is True


@pytest.mark.parametrize("bad_input,bad_index", [(0, (2, 1)), (1, (1, 3)), (1, (0, 0))])
def test_wrong_custom_backward_names_input_and_element(engine, rng, bad_input, bad_index):
    Wrong = make_wrong_mul(bad_input, bad_index)
    x, y = leaf(rng, 3, 4), leaf(rng, 3, 4)
    with pytest.raises(GradcheckError) as info:
        ag.gradcheck(Wrong.apply, [x, y])
    msg = str(info.value)
    assert f"input {bad_input}" in msg
    assert f"element {bad_index}" in msg
    assert "1 of 12 elements differ" in msg
    assert "shape (3, 4)" in msg


def test_wrong_cube_reports_first_bad_element(engine, rng):
    x = ag.Tensor(np.array([[0.0, 1.0], [2.0, -1.5]]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 .*element \(0, 1\).*3 of 4 elements"):
        ag.gradcheck(WrongCube.apply, [x])


def test_only_inputs_requiring_grad_are_checked(engine, rng):
    Wrong = make_wrong_mul(1, (0,))
    x = leaf(rng, 3)
    y = ag.Tensor(rng.standard_normal(3))           # the wrong gradient is never used
    assert ag.gradcheck(Wrong.apply, [x, y])
    with pytest.raises(ValueError, match="no input requires grad"):
        ag.gradcheck(Wrong.apply, [ag.Tensor(np.ones(3)), y])


def test_raise_exception_false_returns_false(engine, rng):
    assert ag.gradcheck(WrongCube.apply, [leaf(rng, 4)], raise_exception=False) is False


def test_grads_of_inputs_left_as_they_were(engine, rng):
    x, y = leaf(rng, 2, 2), leaf(rng, 2, 2)
    x.grad = np.full((2, 2), 5.0)
    before = x.grad
    Wrong = make_wrong_mul(0, (1, 1))
    with pytest.raises(GradcheckError):
        ag.gradcheck(Wrong.apply, [x, y])
    assert x.grad is before and y.grad is None
    assert ag.gradcheck(lambda a, b: a * b, [x, y])
    assert x.grad is before and y.grad is None
