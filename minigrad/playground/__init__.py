"""The playground: train an MLP in the browser and watch every optimizer, live.

``minigrad playground`` serves a page on 127.0.0.1 where a student picks a dataset, a
network and one or two optimizers (the slides' variants included), and watches the decision
boundary, the curves, each layer's gradients and one weight's optimizer state as minigrad
trains on the server. The training (``session``) and the setup (``config``) need only
minigrad; the server (``server``) needs the ``playground`` extra (Starlette and uvicorn).

    >>> from minigrad.playground import PlaygroundRun, parse_config
    >>> run = PlaygroundRun(parse_config({"dataset": "xor", "opt": "sgd", "seed": "1"}))
    >>> run.train(5)
    5
    >>> run.lanes[0].records[-1]["step"]
    5
"""
from minigrad.playground.config import Config, ConfigError, Limits, default_config, parse_config, schema
from minigrad.playground.datasets import PlaneData, make_plane_data
from minigrad.playground.session import Lane, PlaygroundRun

__all__ = ["Config", "ConfigError", "Limits", "default_config", "parse_config", "schema", "PlaneData",
           "make_plane_data", "Lane", "PlaygroundRun"]
