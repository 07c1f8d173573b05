"""Storage sits under the domain: of ``bot`` it may import only the domain's vocabulary, and that
vocabulary stays pure Python, so storage never pulls in use cases, Slack or APScheduler. Above
the domain, listeners and commands open no transaction: the use cases they call do."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = "bot.workflows.vocabulary"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_storage_imports_nothing_of_bot_but_the_vocabulary() -> None:
    strays = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "storage").rglob("*.py")
        for module in _imported_modules(path)
        if (module == "bot" or module.startswith("bot.")) and module != VOCABULARY
    }
    assert strays == set()


def test_the_vocabulary_imports_only_the_standard_enum() -> None:
    path = ROOT / Path(*VOCABULARY.split(".")).with_suffix(".py")
    assert _imported_modules(path) <= {"__future__", "enum"}


def test_storage_keeps_no_copy_of_the_domain_enums() -> None:
    # One definition each: a second class of the same name in storage would let the two drift.
    import bot.workflows.vocabulary as vocabulary

    domain_enums = {name for name in dir(vocabulary) if name[:1].isupper() and name != "StrEnum"}
    redefined = {
        f"{path.relative_to(ROOT)}: {node.name}"
        for path in (ROOT / "storage").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name in domain_enums
    }
    assert redefined == set()


TRANSACTIONS = {"transaction", "write_transaction"}


def _transaction_imports(path: Path) -> set[str]:
    """The transaction helpers of storage.database the module imports (or the module itself,
    through which it could reach them)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "storage.database":
            found.update(alias.name for alias in node.names if alias.name in TRANSACTIONS)
        elif isinstance(node, ast.ImportFrom) and node.module == "storage":
            found.update(f"storage.{a.name}" for a in node.names if a.name == "database")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name == "storage.database")
    return found


def test_listeners_and_commands_open_no_transaction_of_their_own() -> None:
    # They call use cases, which open their one transaction on the UnitOfWork they are given.
    strays = {
        f"{path.relative_to(ROOT)}: {name}"
        for package in ("bot/slack/listeners", "bot/commands")
        for path in (ROOT / package).rglob("*.py")
        for name in _transaction_imports(path)
    }
    assert strays == set()
