"""The zoo's machinery: recipes trained, checkpoints chosen, cards measured and checked.

Train a committed recipe, choose its best checkpoint honestly, evaluate it with the card's
pinned protocol, and measure its spread over seeds.

``tools/build_zoo.py`` (which writes the cards) and ``ganzoo reproduce`` (which checks them) run
the same function, `ganzoo.zoo.seeds.run_seed`. `ganzoo.zoo.spread` is torch-free.
"""
