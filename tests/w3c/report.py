"""Pass counts per category and runner, and the failures, as plain text."""

from __future__ import annotations

from collections import defaultdict

from w3c.runners import Outcome

Results = dict[str, dict[str, Outcome]]  # runner name -> short test name -> outcome


def passed(outcomes: dict[str, Outcome]) -> set[str]:
    return {name for name, o in outcomes.items() if o.passed}


def table(results: Results) -> str:
    """One line per category: how many tests, and how many each runner passed."""
    runners = list(results)
    categories: dict[str, set[str]] = defaultdict(set)
    for outcomes in results.values():
        for name in outcomes:
            categories[name.split("/", 1)[0]].add(name)
    lines = [f"{'category':<20}{'tests':>6}" + "".join(f"{r:>12}" for r in runners)]
    for cat in sorted(categories):
        names = categories[cat]
        counts = "".join(
            f"{len(passed(results[r]) & names) if names & set(results[r]) else '-':>12}" for r in runners
        )
        lines.append(f"{cat:<20}{len(names):>6}{counts}")
    total = "".join(f"{len(passed(results[r])):>12}" for r in runners)
    lines.append(f"{'total':<20}{len(set().union(*categories.values())):>6}{total}")
    return "\n".join(lines)


def failures(outcomes: dict[str, Outcome], only: set[str] | None = None) -> str:
    """The failed tests, grouped by category, each with its reason."""
    lines = []
    by_cat: dict[str, list[str]] = defaultdict(list)
    for name, o in sorted(outcomes.items()):
        if not o.passed and (only is None or name in only):
            by_cat[name.split("/", 1)[0]].append(f"    {name}: {o.detail}")
    for cat, items in sorted(by_cat.items()):
        lines.append(f"  {cat} ({len(items)})")
        lines.extend(items)
    return "\n".join(lines)


def full_report(results: Results) -> str:
    parts = [table(results)]
    for runner, outcomes in results.items():
        text = failures(outcomes)
        if text:
            parts.append(f"failures of {runner}:\n{text}")
    return "\n\n".join(parts)
