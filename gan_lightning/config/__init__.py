"""Typed configuration: the schema (:mod:`gan_lightning.config.schema`: every key, its type and default; the bottom
layer, which networks, data, losses and metrics read) and the loader (:mod:`gan_lightning.config.loading`: files,
overrides and validation against the registries of every component, so it sits above them)."""
