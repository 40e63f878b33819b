"""`.env.example` is the contract for configuration: complete, and valid as shipped."""

import re
from pathlib import Path

from config.env import REPO_ROOT
from testing import load_settings

EXAMPLE = REPO_ROOT / ".env.example"
# env.str("NAME", env.bool("NAME", os.environ.get("NAME", os.environ["NAME"]
READ_IN_CODE = re.compile(r"""(?:env\.\w+\(|os\.environ\.get\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]+)["']""")
DOCUMENTED = re.compile(r"^#? ?([A-Z][A-Z0-9_]+)=", re.MULTILINE)
SET_BY_THE_STACK_NOT_THE_APP = {"DJANGO_SETTINGS_MODULE"}


def variables_read_by_the_code() -> set[str]:
    sources = [*Path(REPO_ROOT / "backend").rglob("*.py")]
    return {
        name for source in sources if "tests" not in source.parts for name in READ_IN_CODE.findall(source.read_text())
    } - SET_BY_THE_STACK_NOT_THE_APP


def test_every_variable_the_code_reads_is_documented():
    documented = set(DOCUMENTED.findall(EXAMPLE.read_text()))

    missing = variables_read_by_the_code() - documented

    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_the_example_as_copied_by_setup_loads_in_development():
    example = EXAMPLE.read_text()
    active = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    only_the_example: dict[str, str | None] = dict.fromkeys(DOCUMENTED.findall(example)) | active

    with load_settings(active["DJANGO_ENV"], **only_the_example) as settings:
        assert settings.DEBUG is True
        assert settings.SECRET_KEY
        assert settings.CONTENT_SECURITY_POLICY_REPORT_ONLY is not None
        assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
