"""Storage sits under the domain: of ``bot`` it may import only the domain's vocabulary, and that
vocabulary stays pure Python, so storage never pulls in use cases, Slack or APScheduler. Above
the domain, listeners and commands open no transaction: the use cases they call do. The domain
writes no query: the repositories in storage do."""

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


# text() too: raw SQL is a query as much as a select() is.
STATEMENT_BUILDERS = {"select", "update", "delete", "insert", "text"}

# The engine's modules are being reworked elsewhere; their queries move once that lands.
ENGINE_BEING_REWORKED = {
    module: "engine: being reworked"
    for module in ("runner", "engine", "run_batch", "planner", "summary", "stored")
}

# Domain modules that still build SQL statements, each with why. Shrink it: a module whose
# queries moved into storage's repositories leaves the list (the test below insists).
STILL_BUILDING_STATEMENTS: dict[str, str] = {
    "source_reading": "reads the teams' own SQL databases (their tables, not ours): no repository",
}


def _statement_builders(path: Path) -> set[str]:
    """The names of SQLAlchemy's statement builders the module imports (``import sqlalchemy``
    counts too: it reaches them all as ``sqlalchemy.select``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found.update(alias.name for alias in node.names if alias.name in STATEMENT_BUILDERS)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name == "sqlalchemy")
    return found


def _domain_modules() -> dict[str, Path]:
    return {path.stem: path for path in (ROOT / "bot" / "workflows").glob("*.py")}


def test_the_domain_leaves_its_queries_to_storage_repositories() -> None:
    # Queries live in the repository that owns their table, named for what they answer.
    allowed = ENGINE_BEING_REWORKED.keys() | STILL_BUILDING_STATEMENTS.keys()
    strays = {
        f"bot/workflows/{name}.py: {', '.join(sorted(builders))}"
        for name, path in _domain_modules().items()
        if name not in allowed and (builders := _statement_builders(path))
    }
    assert strays == set()


def test_every_module_allowed_to_build_statements_still_does() -> None:
    modules = _domain_modules()
    assert set(ENGINE_BEING_REWORKED) <= set(modules)
    cleaned = {name for name in STILL_BUILDING_STATEMENTS if not _statement_builders(modules[name])}
    assert cleaned == set()
