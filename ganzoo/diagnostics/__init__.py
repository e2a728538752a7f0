"""Built-in failure-mode diagnostics; ``catalog`` lists their specs (torch-free)."""
