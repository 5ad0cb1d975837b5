"""Known torch names tensorlite lacks raise NotImplementedError naming them; unknown names AttributeError."""

import pytest

import tensorlite as torch
import tensorlite.nn.functional as F
from tensorlite import compat, nn, optim
from tensorlite.compat import NotImplementedInTensorlite

# (owner, attribute, torch name): each listed in torch_names.txt and absent from tensorlite. If one of
# them gets implemented, pick another missing name from the table in docs/pytorch-compat.md.
MISSING = [
    (torch, "compile", "torch.compile"),
    (nn, "PixelShuffle", "torch.nn.PixelShuffle"),
    (F, "one_hot", "torch.nn.functional.one_hot"),
    (optim, "RAdam", "torch.optim.RAdam"),
    (nn.init, "sparse_", None),  # not in the list: plain AttributeError
]


@pytest.mark.parametrize(("owner", "name", "qualified"), [m for m in MISSING if m[2]])
def test_known_missing_name_raises_not_implemented_naming_it(owner, name, qualified):
    assert qualified in compat.known_names()
    with pytest.raises(NotImplementedError, match=rf"^{qualified} is not implemented in tensorlite yet"):
        getattr(owner, name)


@pytest.mark.parametrize(("owner", "name", "qualified"), [m for m in MISSING if m[2]])
def test_not_implemented_is_also_attribute_error_so_hasattr_works(owner, name, qualified):
    assert issubclass(NotImplementedInTensorlite, AttributeError)
    assert hasattr(owner, name) is False
    assert getattr(owner, name, "default") == "default"


def test_tensor_method_in_list_raises_not_implemented():
    t = torch.ones(2)
    assert "torch.Tensor.unbind" in compat.known_names()
    with pytest.raises(NotImplementedError, match=r"^torch\.Tensor\.unbind is not implemented"):
        t.unbind()
    assert hasattr(t, "unbind") is False


def test_unknown_names_raise_plain_attribute_error():
    for owner, label in [(torch, "module 'tensorlite'"), (nn, "module 'tensorlite.nn'")]:
        with pytest.raises(AttributeError, match=f"^{label} has no attribute 'no_such_name'$") as info:
            owner.no_such_name  # noqa: B018
        assert not isinstance(info.value, NotImplementedError)
    with pytest.raises(AttributeError, match="^'Tensor' object has no attribute 'no_such_name'$") as info:
        torch.ones(1).no_such_name  # noqa: B018
    assert not isinstance(info.value, NotImplementedError)
    with pytest.raises(AttributeError) as info:
        nn.init.sparse_  # noqa: B018
    assert not isinstance(info.value, NotImplementedError)


def test_present_names_are_untouched():
    assert torch.cat is not None and nn.Linear is not None and F.relu is not None and optim.Adam is not None
    assert torch.ones(2).sum().item() == 2.0


def test_from_import_of_a_submodule_still_works():
    # `from pkg import sub` first tries getattr(pkg, "sub"); the fallback to importing the submodule
    # needs an AttributeError, so this also checks the exception class.
    from tensorlite.utils import data

    assert data.DataLoader is not None
