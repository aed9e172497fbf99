"""Registering implementations by name: decorators, clashes, and packages importing their own modules."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.losses import LOSSES, NonSaturatingLoss, register_loss
from gan_lightning.registry import import_package_modules, registrar


def test_register_adds_and_refuses_a_second_implementation_under_one_name() -> None:
    table: dict[str, object] = {}
    register = registrar(table, "widget")

    @register("a")
    def first() -> None: ...

    assert table == {"a": first}
    register("a")(first)  # the same definition again (a re-imported module) is fine

    def other() -> None: ...

    with pytest.raises(ValueError, match="two widgets are registered as 'a'"):
        register("a")(other)
    assert table["a"] is first


def test_a_package_imports_every_module_in_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "plugins_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from gan_lightning.registry import import_package_modules, registrar\n"
        "TABLE = {}\nregister = registrar(TABLE, 'plugin')\nimport_package_modules(__name__)\n"
    )
    (package / "dropped_in.py").write_text("from plugins_pkg import register\n\n@register('new')\nclass New: ...\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import plugins_pkg  # type: ignore[import-not-found]

        assert list(plugins_pkg.TABLE) == ["new"]
        import_package_modules("plugins_pkg")  # importing again registers nothing twice
        assert list(plugins_pkg.TABLE) == ["new"]
    finally:
        for name in [m for m in sys.modules if m.startswith("plugins_pkg")]:
            del sys.modules[name]


@pytest.fixture
def registered_loss() -> Iterator[str]:
    @register_loss("smoothed_for_test")
    class Smoothed(NonSaturatingLoss):
        pass

    yield "smoothed_for_test"
    del LOSSES["smoothed_for_test"]


def test_the_validator_accepts_and_lists_registered_names(registered_loss: str) -> None:
    quickstart = REPO / "configs" / "quickstart.yaml"
    assert load_config([quickstart], [f"loss.name={registered_loss}"]).loss.name == registered_loss
    with pytest.raises(ConfigError, match=f"allowed: one of minimax, .*, {registered_loss}$"):
        load_config([quickstart], ["loss.name=nope"])
