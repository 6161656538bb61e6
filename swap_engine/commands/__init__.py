"""CLI commands: one module per command, discovered by `swap_engine.cli`."""
