"""The plan-specific errors; both are atlas errors, so the CLI and the app treat them alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from atlas.errors import AtlasError, InvalidInput

if TYPE_CHECKING:
    from cedplans.model import Version


class InvalidTransition(InvalidInput):
    """A plan cannot move from its status to the one asked for."""


class StalePlan(AtlasError, RuntimeError):
    """Someone saved the plan after the version an edit was based on.

    ``latest`` is that newer :class:`~cedplans.model.Version`, so the caller can show it;
    nothing has been written.
    """

    def __init__(self, plan_id: int, based_on_version: int, latest: Version) -> None:
        self.plan_id = plan_id
        self.based_on_version = based_on_version
        self.latest = latest
        when = latest.saved_at.strftime("%d %b %Y %H:%M")
        super().__init__(
            f"Plan {plan_id} has changed since you opened version {based_on_version}: "
            f"{latest.author} saved version {latest.version} on {when} UTC ({latest.summary}). "
            "Nothing was saved. Open the latest version, then make your changes again."
        )
