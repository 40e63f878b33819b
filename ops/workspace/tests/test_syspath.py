"""The sys.path check on the project's own interpreter, with and without the Nix setup hook's leaks."""

import sys
from pathlib import Path

import pytest

from ..syspath import problems

VENV = Path(sys.prefix)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment the dev shell leaves: neither PYTHONPATH nor PYTHONHASHSEED."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    return monkeypatch


def test_the_venv_interpreter_sees_only_the_venv_and_the_standard_library(clean_env: pytest.MonkeyPatch) -> None:
    assert problems(VENV) == []


def test_a_pythonpath_entry_is_reported(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    leaked = tmp_path / "lib" / "python3.13" / "site-packages"
    leaked.mkdir(parents=True)
    clean_env.setenv("PYTHONPATH", str(leaked))

    assert [problem for problem in problems(VENV) if str(leaked) in problem]


def test_a_fixed_hash_seed_is_reported(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PYTHONHASHSEED", "0")

    assert problems(VENV) == ["hash randomisation is off (PYTHONHASHSEED=0 in the environment)"]
