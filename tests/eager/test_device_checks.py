"""Device-picking code (`torch.xpu.is_available()`, `torch.backends.mps.is_available()`, ...)
runs: every accelerator check answers False, and other names of those namespaces say what is
missing (never a bare AttributeError)."""

import duograd.frontends.eager as torch
import pytest
from duograd.frontends.eager.missing import MissingFeatureError


@pytest.mark.parametrize(
    "check",
    [
        lambda: torch.cuda.is_available(),
        lambda: torch.xpu.is_available(),
        lambda: torch.mps.is_available(),
        lambda: torch.backends.mps.is_available(),
        lambda: torch.accelerator.is_available(),
    ],
)
def test_accelerator_checks_answer_false(check):
    assert check() is False


def test_device_counts_are_zero():
    assert torch.cuda.device_count() == 0 and torch.xpu.device_count() == 0


@pytest.mark.parametrize("namespace", ["xpu", "mps"])
def test_other_names_say_what_is_missing(namespace):
    with pytest.raises(MissingFeatureError, match=f"torch.{namespace}.synchronize"):
        getattr(torch, namespace).synchronize  # noqa: B018 - the lookup is the test
