"""The closed lists and defaults the faces offer (command-line choices, API patterns, form
defaults), read from where they are defined; light enough to import when a command starts."""

from __future__ import annotations

from clinsearch.evaluate.defaults import DEFAULT_THRESHOLDS
from clinsearch.scores.score2 import REGIONS

__all__ = ["DEFAULT_THRESHOLDS", "REGIONS", "REGION_PATTERN"]

REGION_PATTERN = f"^({'|'.join(REGIONS)})$"  # the ESC risk region in an API parameter
