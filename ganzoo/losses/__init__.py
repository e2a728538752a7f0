"""Built-in GAN losses, one module per family; ``catalog`` lists their specs (torch-free)."""
