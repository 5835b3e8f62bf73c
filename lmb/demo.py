"""Demo data: each app registers a step from ``AppConfig.ready()``; ``manage.py seed_demo`` runs
them in order with a shared context (the random generator, the demo users…)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStep:
    name: str
    run: Callable[[dict], str]  # (context) -> one line saying what was created
    order: int


_steps: list[DemoStep] = []


def register_step(name: str, run: Callable[[dict], str], order: int):
    if all(step.name != name for step in _steps):
        _steps.append(DemoStep(name, run, order))
        _steps.sort(key=lambda step: step.order)


def steps() -> list[DemoStep]:
    return list(_steps)
