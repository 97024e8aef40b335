"""gRPC status → HTTP answers with the same detail (the field at fault for INVALID_ARGUMENT)."""

from __future__ import annotations

import grpc
from fastapi.responses import JSONResponse

from doudi_runtime.grpc.errors import field_violations_from

HTTP_STATUS_OF: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def error_body(code: str, message: str, violations: list[tuple[str, str]] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"code": code, "message": message}
    if violations:
        body["field_violations"] = [{"field": f, "description": d} for f, d in violations]
    return {"error": body}


def response_for_rpc_error(error: grpc.RpcError) -> JSONResponse:
    code = error.code()  # type: ignore[attr-defined]
    status = HTTP_STATUS_OF.get(code, 502)
    message = error.details() if status != 502 else "an upstream service failed"  # type: ignore[attr-defined]
    return JSONResponse(
        status_code=status, content=error_body(code.name, message, field_violations_from(error))
    )
