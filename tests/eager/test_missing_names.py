"""A name duograd lacks raises NotImplementedError naming it; feature probes still see absence."""

from __future__ import annotations

import pickle

import duograd.frontends.eager as torch
import duograd.frontends.eager.nn.functional as F
import pytest
from duograd.frontends.eager.missing import MissingFeatureError

MODULES = [
    (torch, "torch"),
    (torch.nn, "torch.nn"),
    (F, "torch.nn.functional"),
    (torch.nn.init, "torch.nn.init"),
    (torch.optim, "torch.optim"),
    (torch.optim.lr_scheduler, "torch.optim.lr_scheduler"),
    (torch.utils.data, "torch.utils.data"),
    (torch.autograd, "torch.autograd"),
    (torch.cuda, "torch.cuda"),
]


@pytest.mark.parametrize("module,qualname", MODULES, ids=[q for _, q in MODULES])
def test_missing_module_name_raises_not_implemented_naming_it(module, qualname):
    with pytest.raises(NotImplementedError, match=rf"{qualname}\.no_such_name_xyz"):
        module.no_such_name_xyz  # noqa: B018


@pytest.mark.parametrize("module,qualname", MODULES, ids=[q for _, q in MODULES])
def test_probes_see_absence(module, qualname):
    assert not hasattr(module, "no_such_name_xyz")
    assert getattr(module, "no_such_name_xyz", "default") == "default"


def test_missing_tensor_method_names_it():
    t = torch.ones(2)
    with pytest.raises(NotImplementedError, match=r"torch\.Tensor\.no_such_method"):
        t.no_such_method()
    assert not hasattr(t, "no_such_method")


def test_cuda_only_names_point_at_the_cpu_alternative():
    with pytest.raises(NotImplementedError, match="CPU only"):
        torch.cuda.no_such_cuda_thing  # noqa: B018
    assert callable(torch.compile) and callable(torch.jit.trace)  # real names now, no stubs


def test_near_spellings_are_suggested():
    with pytest.raises(NotImplementedError, match="Conv2d"):
        torch.nn.Conv2dd  # noqa: B018


def test_private_names_stay_plain_attribute_errors():
    with pytest.raises(AttributeError) as e:
        torch.nn.__no_such_dunder__  # noqa: B018
    assert not isinstance(e.value, NotImplementedError)
    with pytest.raises(AttributeError) as e:
        torch.ones(1)._no_such_private  # noqa: B018
    assert not isinstance(e.value, NotImplementedError)


def test_from_import_of_a_missing_name_is_an_import_error():
    with pytest.raises(ImportError):
        from duograd.frontends.eager import no_such_name_xyz  # noqa: F401


def test_error_class_is_both_kinds_and_tensors_still_pickle():
    assert issubclass(MissingFeatureError, NotImplementedError)
    assert issubclass(MissingFeatureError, AttributeError)
    t = torch.arange(3)
    assert pickle.loads(pickle.dumps(t)).tolist() == [0, 1, 2]
