"""Exception types shared by the ETL. Reads no settings."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix (bad setting, bad argument); the CLI prints it as one line."""


class SettingsError(UserError):
    """A setting is missing or malformed; the message names the variable."""


class ServiceError(UserError):
    """An embedded or external service could not be started, reached or stopped."""


class PipelineError(Exception):
    """A pipeline step failed; the step can be retried once the cause is fixed."""
