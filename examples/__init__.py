"""Runnable examples that use zentail from the outside, as a partner would."""
