"""tasks/gx_kwargs.py: GX's kwargs methods, hoisted, give what GX's own give."""

import inspect
import textwrap

import pytest

from tasks import gx_kwargs
from tasks.forms import FORMS

METHODS = ("_get_domain_kwargs", "_get_success_kwargs", "_get_runtime_kwargs")
RUNTIME = (None, {}, {"result_format": "BOOLEAN_ONLY"}, {"result_format": {"result_format": "COMPLETE"}},
           {"result_format": "SUMMARY", "catch_exceptions": True, "include_config": False})


def _gx_own(name: str):
    """GX's method compiled from its module's source, whatever a run has put on the class since."""
    import great_expectations.expectations.expectation as module

    source = inspect.getsource(module)
    start = source.index(f"    def {name}(")
    scope = dict(vars(module))
    exec(textwrap.dedent(source[start:source.index("\n    def ", start + 1)]), scope)
    return scope[name]


def _all_kwargs(exp) -> list:
    return [exp._get_domain_kwargs(), exp._get_success_kwargs(), *(exp._get_runtime_kwargs(r) for r in RUNTIME)]


def test_applied_on_the_locked_version():
    """Fails when GX is upgraded: check the hoisted methods against the new GX, then raise VERIFIED_ON."""
    import great_expectations as gx

    assert gx.__version__ == gx_kwargs.VERIFIED_ON and gx_kwargs.apply()


@pytest.mark.parametrize("form", sorted(FORMS))
def test_same_kwargs_as_gx_on_every_expectation_of_the_suites(form, monkeypatch):
    from great_expectations.expectations.expectation import Expectation

    from tasks.validate import _suite

    expectations = _suite(form).expectations
    assert expectations
    with monkeypatch.context() as gx_only:
        for name in METHODS:
            gx_only.setattr(Expectation, name, _gx_own(name))
        expected = [_all_kwargs(exp) for exp in expectations]
    assert gx_kwargs.apply() and Expectation._get_runtime_kwargs is gx_kwargs._runtime_kwargs
    assert [_all_kwargs(exp) for exp in expectations] == expected
