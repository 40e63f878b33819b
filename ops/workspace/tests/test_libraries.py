"""The wheel library check, on copies of real wheel files from the project's .venv."""

import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

from ..libraries import Unprovided, provided_sonames, unprovided

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ELF wheels and LD_LIBRARY_PATH: Linux only")
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])


def fake_venv(tmp_path: Path, *packages: str) -> Path:
    """A venv-shaped folder holding copies of these installed package folders, with no metadata."""
    site = tmp_path / "lib" / "python3.x" / "site-packages"
    for package in packages:
        shutil.copytree(SITE_PACKAGES / package, site / package)
    return tmp_path


def test_a_library_the_flake_does_not_provide_is_reported(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path, "greenlet")

    found = {item.soname for item in unprovided(venv, frozenset())}

    assert found == {"libstdc++.so.6"}


def test_the_flakes_list_provides_what_the_locked_wheels_need(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path, "greenlet", "psycopg_binary", "psycopg_binary.libs")

    assert unprovided(venv, provided_sonames()) == []


def test_bundled_libraries_are_found_through_origin_and_a_missing_one_is_reported(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path, "psycopg_binary.libs")
    libs = venv / "lib" / "python3.x" / "site-packages" / "psycopg_binary.libs"
    (crypto,) = libs.glob("libcrypto-*.so*")
    crypto.unlink()

    found = unprovided(venv, frozenset({"libz.so.1"}))

    assert found
    assert {item.soname for item in found} == {crypto.name}
    assert all(isinstance(item, Unprovided) and "psycopg_binary.libs" in item.needed_by for item in found)
