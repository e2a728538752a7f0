"""The plugin's own tests: ganzoo's contract checks, one line per entry (ganzoo.testing).

Run them from the plugin's folder (``pytest``) or from ganzoo's checkout, which collects them.
"""

from __future__ import annotations

import pytest
import torch

import ganzoo
import ganzoo.testing

TINY = {"width": 4, "g_hidden": [16], "d_hidden": [16]}  # small networks keep the checks fast


def test_the_whole_plugin() -> None:
    # loads, is torch-free at import, and every entry it registers passes its kind's checks
    names = ganzoo.testing.check_plugin("pacgan", options={"pacgan": {"options": TINY}})
    assert names == ["pacgan", "total-variation", "reverse-kl"]


def test_pacgan() -> None:
    ganzoo.testing.check_architecture("pacgan", options={**TINY, "pack": 4})


def test_total_variation() -> None:
    ganzoo.testing.check_loss("total-variation")


def test_reverse_kl() -> None:
    values = ganzoo.testing.check_metric("reverse-kl", data="ring-8")
    assert values["reverse_kl"] < 0.05  # two real sets of ring-8 spread evenly over its modes


def test_batch_not_a_multiple_of_the_pack_is_one_clear_error() -> None:
    from ganzoo.errors import DataError

    model = ganzoo.build("pacgan", data="ring-8", **TINY, pack=3)
    with pytest.raises(DataError, match="multiples of 3"):
        model.discriminator(torch.zeros(4, 2))
