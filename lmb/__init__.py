"""LMB: the project package and the shared kernel (company, sequences, money, lists, imports)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
