"""Calls name what they pass: a function takes at most three positional parameters (`self` and
`cls` aside), the rest keyword-only (docs/architecture.md, "Signatures")."""

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "opencalendars"
MAX_POSITIONAL = 3


def positional_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    arguments = function.args
    return [
        argument.arg
        for argument in [*arguments.posonlyargs, *arguments.args]
        if argument.arg not in ("self", "cls")
    ]


def test_no_function_takes_more_than_three_positional_parameters():
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = positional_names(node)
                if len(names) > MAX_POSITIONAL:
                    where = path.relative_to(SOURCE.parent)
                    offenders.append(f"{where}:{node.lineno} {node.name}({', '.join(names)})")
    assert offenders == []
