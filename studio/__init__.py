"""Talking Portrait Studio: animate a portrait from a voice clip."""

__version__ = "0.1.0"
