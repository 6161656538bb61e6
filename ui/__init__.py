"""Presentation helpers shared by the app pages (settings sidebar, cached engine calls, charts)."""
