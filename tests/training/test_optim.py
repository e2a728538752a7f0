"""make_optimizers builds G's and D's optimizers from resolved settings, and only from them."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.errors import ConfigError
from ganzoo.specs import DEFAULT_OPTIMIZER, OptimizerSettings
from ganzoo.training.optim import make_optimizers


def test_make_optimizers_uses_each_networks_rate_and_the_named_algorithm() -> None:
    G, D = nn.Linear(2, 3), nn.Linear(3, 1)
    settings = OptimizerSettings(lr_g=1e-3, betas=(0.0, 0.9)).resolve(DEFAULT_OPTIMIZER)
    opt_g, opt_d = make_optimizers(settings, G, D)
    assert isinstance(opt_g, torch.optim.Adam) and isinstance(opt_d, torch.optim.Adam)
    assert opt_g.param_groups[0]["lr"] == 1e-3 and opt_d.param_groups[0]["lr"] == 2e-4
    assert opt_g.param_groups[0]["betas"] == (0.0, 0.9)
    assert {id(p) for p in opt_g.param_groups[0]["params"]} == {id(p) for p in G.parameters()}
    rms, _ = make_optimizers(OptimizerSettings(name="rmsprop").resolve(DEFAULT_OPTIMIZER), G, D)
    assert isinstance(rms, torch.optim.RMSprop)


def test_make_optimizers_refuses_unresolved_settings() -> None:
    with pytest.raises(ConfigError, match="not complete"):
        make_optimizers(OptimizerSettings(lr_g=1e-3), nn.Linear(1, 1), nn.Linear(1, 1))
