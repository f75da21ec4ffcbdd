"""The base of the wizard's pydantic models that a command may never use: the validator is built
on first use instead of at import (`defer_build`), which is most of a model's import cost
(about 3 ms each, 40 models). Opening a migration, the CLI's start and the TUI's first frame
pay only for the models they touch."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LazyModel(BaseModel):
    model_config = ConfigDict(defer_build=True)
