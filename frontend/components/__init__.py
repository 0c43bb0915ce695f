"""Reusable rendering pieces: charts and small widgets shared by pages."""
