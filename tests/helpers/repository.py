"""Helpers shared by ``meta/test_architecture.py``, ``meta/test_demo.py``."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
