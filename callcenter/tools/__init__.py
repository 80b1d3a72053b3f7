"""Tools the agents may call: definitions, argument validation, executors and tool packs."""
