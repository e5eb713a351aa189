"""Offline evaluation."""
