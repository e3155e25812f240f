"""The service's one error shape: ``{"problems": [{"field", "code", "message"}]}`` (as the RPCs' ``detail``)."""

from __future__ import annotations

from starlette.responses import JSONResponse

__all__ = ["ServiceProblem", "problem_response"]


class ServiceProblem(Exception):
    """A refusal: HTTP ``status`` and the problems; ``outcome`` labels it in the metrics."""

    def __init__(self, status: int, problems: list[dict[str, str]], outcome: str | None = None) -> None:
        super().__init__(problems[0]["message"] if problems else f"HTTP {status}")
        self.status = status
        self.problems = problems
        self.outcome = outcome or (problems[0]["code"] if problems else str(status))


def problem_response(status: int, problems: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse({"problems": problems}, status_code=status)
