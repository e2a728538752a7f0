"""The training loop, its configuration, checkpoints and callbacks."""
