"""Built-in pretrained models; ``catalog`` lists their specs, ``weights/`` holds bundled copies."""
