"""Commands of this area register on the CLI group here."""

from __future__ import annotations
