"""The import rules of DEVELOPERS.md, checked on the source: a leak fails with file and line."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = sys.stdlib_module_names

# package -> top-level modules it may import besides the standard library and itself
ALLOWED: dict[str, set[str]] = {
    "dialogs": set(),
    "nlu": {"dialogs", "sklearn", "numpy", "scipy", "yaml", "lingua"},
    "storage": {"dialogs", "sqlalchemy", "alembic", "cryptography"},
    "sandbox": {"aiohttp", "yarl", "multidict"},
    # The benchmarks start the bot as a process and play Telegram through the sandbox; their
    # echo baseline is a bare aiogram bot. They never import bot/ (checked below).
    "bench": {
        "dialogs",
        "storage",
        "sandbox",
        "aiogram",
        "aiohttp",
        "sqlalchemy",
        "fluent",
        "psutil",
        "redis",
        "asyncpg",  # bench.transactions: the driver alone, the floor under SQLAlchemy
    },
    "bot": {
        "dialogs",
        "nlu",
        "storage",
        "aiogram",
        "sqlalchemy",
        "fluent",
        "phonenumbers",
        "pydantic",
        "pydantic_settings",
        "aiohttp",
        "magic_filter",
    },
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_it_may(package):
    leaks = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in python_files(package)
        for line, module in imports_of(path)
        if module not in STDLIB and module != package and module not in ALLOWED[package]
    ]
    assert leaks == []


def test_nothing_but_run_bot_and_tests_imports_bot():
    leaks = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in ALLOWED
        if package != "bot"
        for path in python_files(package)
        for line, module in imports_of(path)
        if module == "bot"
    ]
    assert leaks == []


def test_the_checker_catches_a_leak(tmp_path):
    bad = tmp_path / "leak.py"
    bad.write_text("import aiogram\nfrom sqlalchemy import select\n")
    assert [m for _, m in imports_of(bad)] == ["aiogram", "sqlalchemy"]
