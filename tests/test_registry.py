import pytest

from swap_engine import spaces
from swap_engine.registry import Registry


def test_register_get_and_patterns():
    registry: Registry[int] = Registry("thing")
    registry.register("alpha", 1)
    registry.decorator("beta")(2)
    assert registry.get("beta") == 2
    assert registry.names() == ["alpha", "beta"]
    assert registry.names("a*") == ["alpha"]
    with pytest.raises(ValueError, match="unknown thing 'gamma'; known: alpha, beta"):
        registry.get("gamma")
    with pytest.raises(ValueError, match="already registered"):
        registry.register("alpha", 3)


def test_modules_load_on_first_lookup():
    registry: Registry[str] = Registry("space", ["swap_engine.spaces.nb201"])
    assert registry._modules  # nothing imported until asked
    assert "nb201" in spaces.names()
    assert set(spaces.names()) == {"nb201", "darts", "nb101", "flexibert", "zoo", "timm"}
