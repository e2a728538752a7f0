"""Built-in data sets; ``catalog`` lists their specs (torch-free)."""
