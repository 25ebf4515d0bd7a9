"""Imported by the forkserver after `readchild`: warms it up (see `readchild.warm_up`)."""

from xchange.imports.readchild import warm_up

warm_up()
