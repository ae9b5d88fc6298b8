"""Placeholder: `python -m muyun import` is being built (its owner replaces this file)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="(建设中)")
    p.set_defaults(func=lambda args: 2)
