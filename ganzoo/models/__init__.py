"""Built-in architectures, one module per registry entry; ``catalog`` lists their specs (torch-free)."""
