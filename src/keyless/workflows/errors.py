"""Definition failures: a workflow PUT (or `keyless workflow deploy`) is refused with the JSON path of the problem."""

from __future__ import annotations

from keyless.platform.errors import KeylessError


class DefinitionError(KeylessError):
    """A definition that cannot run. `path` is a JSON path into the resource body as sent
    (`properties.definition.actions.Send.runAfter.Missing`), so ARM's 400 can name where it is.

    ARM answers `{"error": {"code": "InvalidTemplate"|"WorkflowTriggerNotFound"|..., "message"}}`; the message
    ends with the path, as Logic Apps' template validation does (`... at line '1' and column '234'` there;
    keyless gives the JSON path, which is what a user can act on).
    """

    status = 400
    code = "InvalidTemplate"

    def __init__(self, path: str, message: str, *, code: str | None = None) -> None:
        super().__init__(f"{message} Path '{path}'.", code=code)
        self.path = path
        self.detail = message
