"""The HTTP front for people: JSON over doudi's gRPC APIs, with OpenAPI docs at /docs."""

# No "from __future__ import annotations": FastAPI resolves the dependencies declared in
# create_app from real annotation objects, not from strings naming local functions.

import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

import grpc
from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from prometheus_client import Counter, Histogram
from starlette.concurrency import run_in_threadpool

from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi.verification.v1 import verification_pb2, verification_pb2_grpc
from doudi_gateway.errors import error_body, response_for_rpc_error
from doudi_gateway.limits import RequestLimits
from doudi_gateway.signin import InvalidToken, TokenVerifier, looks_like_jwt
from doudi_runtime.authz.principal import Principal
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.context import acting_for
from doudi_runtime.grpc.limits import TokenBuckets

HTTP_REQUESTS = Counter(
    "doudi_gateway_http_requests_total",
    "HTTP requests answered by the gateway.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "doudi_gateway_http_request_seconds", "Time the gateway took to answer, by route.", ["method", "route"]
)
log = logging.getLogger("doudi_gateway")
_FIELD_IN_PARSE_ERROR = re.compile(r"Failed to parse (\w+) field|no field named \"(\w+)\"")


class BodyError(Exception):
    """A request body that does not fit the API's message."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(description)
        self.field = field
        self.description = description


def _parse_body(body: Any, message: Any) -> Any:
    if not isinstance(body, dict):
        raise BodyError("body", "must be a JSON object")
    try:
        return json_format.ParseDict(body, message)
    except json_format.ParseError as exc:
        match = _FIELD_IN_PARSE_ERROR.search(str(exc))
        field = next((g for g in match.groups() if g), "body") if match else "body"
        raise BodyError(field, str(exc)) from None


def _enum_value(enum_type: Any, name: str, field: str) -> int:
    try:
        return int(enum_type.Value(name))
    except ValueError:
        raise BodyError(field, f"{name!r} is not one of {', '.join(enum_type.keys())}") from None


def _to_json(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def create_app(
    *,
    token_principals: dict[str, str],
    channels: ChannelFactory,
    intake_target: str,
    verification_target: str = "127.0.0.1:15052",
    token_identities: Mapping[str, Principal] | None = None,
    sign_in: TokenVerifier | None = None,
    max_request_bytes: int | None = None,
    rate_limit: TokenBuckets | None = None,
) -> FastAPI:
    """The HTTP app. A caller whose token names a person (an object in AUTH_TOKENS) is forwarded to
    the services as the person the gateway acts for, so their role and region decide what they see;
    a caller whose token names a service is the gateway's own trusted caller. With ``sign_in``, a person
    may instead send a JWT of the configured issuer, whose claims name them (``doudi_gateway.signin``);
    an expired, invalid or foreign token is 401. ``max_request_bytes`` and ``rate_limit`` (per caller)
    answer 413 and 429 before anything else reads the request."""
    app = FastAPI(
        title="doudi gateway",
        version="1",
        description="HTTP access to doudi for caseworkers and citizens' services. Every call needs "
        "`Authorization: Bearer <token>`. Errors answer with the gRPC code and the fields at fault.",
    )
    intake = intake_pb2_grpc.IntakeServiceStub(channels.channel(intake_target))
    verification = verification_pb2_grpc.VerificationServiceStub(channels.channel(verification_target))

    async def call(method: Any, request: Any) -> dict[str, Any]:
        """Every call is safe to retry: reads, or mutations that carry the client's request_id."""
        return _to_json(await run_in_threadpool(channels.call, method, request, idempotent=True))

    def step(body: Any, message: Any, **path: str) -> Any:
        """A request message from the JSON body, with the ids the URL names taking precedence."""
        request = _parse_body(body, message)
        for name, value in path.items():
            setattr(request, name, value)
        return request

    people = {token: who for token, who in (token_identities or {}).items() if not who.is_service}

    def identify(authorization: str) -> tuple[str, Principal | None] | None:
        """Who a bearer token names: (name, the person to act for, or None for a service), or None."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        name = token_principals.get(token)
        if name is not None:
            return name, people.get(token)
        if sign_in is None or not looks_like_jwt(token):
            return None
        try:
            person = sign_in.principal(token)
        except InvalidToken as exc:
            log.info("sign-in refused", extra={"reason": str(exc)})
            return None
        return person.name, person

    def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
        who = getattr(request.state, "caller", None)
        if who is None:
            raise _Unauthenticated()
        return str(who[0])

    @app.exception_handler(BodyError)
    async def _body_error(_request: Request, exc: BodyError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content=error_body("INVALID_ARGUMENT", exc.description, [(exc.field, exc.description)]),
        )

    @app.exception_handler(grpc.RpcError)
    async def _rpc_error(_request: Request, exc: grpc.RpcError) -> JSONResponse:
        return response_for_rpc_error(exc)

    @app.exception_handler(_Unauthenticated)
    async def _unauthenticated(_request: Request, _exc: _Unauthenticated) -> JSONResponse:
        return JSONResponse(
            status_code=401,
            content=error_body("UNAUTHENTICATED", "a valid bearer token is required"),
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.middleware("http")
    async def _act_for_the_caller(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        who = identify(request.headers.get("authorization", ""))
        request.state.caller = who
        person = who[1] if who is not None else None
        # The downstream task and its worker threads copy this context, so every call carries the person.
        with acting_for(person):
            return await call_next(request)

    @app.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, template, str(response.status_code)).inc()
        HTTP_SECONDS.labels(request.method, template).observe(time.perf_counter() - started)
        return response

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/applications", status_code=201, tags=["intake"])
    async def submit_application(
        body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Submit an application for any programme (the one window). Idempotent on `request_id`."""
        request = _parse_body(body, intake_pb2.SubmitApplicationRequest())
        response = await run_in_threadpool(channels.call, intake.SubmitApplication, request, idempotent=True)
        return _to_json(response)

    @app.get("/v1/applications/{application_id}", tags=["intake"])
    async def get_application(
        application_id: str, _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """One application with its household and state."""
        request = intake_pb2.GetApplicationRequest(application_id=application_id)
        response = await run_in_threadpool(channels.call, intake.GetApplication, request, idempotent=True)
        return _to_json(response)

    @app.get("/v1/townships/{township}/applications", tags=["intake"])
    async def list_applications(
        township: str,
        _caller: Annotated[str, Depends(caller)],
        state: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> dict[str, Any]:
        """A township's applications, newest first; `state` filters (e.g. APPLICATION_STATE_SUBMITTED)."""
        request = _parse_body(
            {"township": {"code": township}, "page": {"page_size": page_size, "page_token": page_token}},
            intake_pb2.ListApplicationsRequest(),
        )
        if state:
            request.state = _enum_value(intake_pb2.ApplicationState, state, "state")
        return await call(intake.ListApplications, request)

    @app.post("/v1/applications/{application_id}/accept", tags=["intake"])
    async def accept_application(
        application_id: str, body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Accept a complete application (every counted member signed); starts the decision clock."""
        request = step(body, intake_pb2.AcceptApplicationRequest(), application_id=application_id)
        return await call(intake.AcceptApplication, request)

    @app.post("/v1/applications/{application_id}/request-correction", tags=["intake"])
    async def request_correction(
        application_id: str, body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Ask once for everything that is missing (`missing_items`)."""
        request = step(body, intake_pb2.RequestCorrectionRequest(), application_id=application_id)
        return await call(intake.RequestCorrection, request)

    @app.post("/v1/applications/{application_id}/resubmit", tags=["intake"])
    async def resubmit_application(
        application_id: str, body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Resubmit the corrected household."""
        request = step(body, intake_pb2.ResubmitApplicationRequest(), application_id=application_id)
        return await call(intake.ResubmitApplication, request)

    @app.post("/v1/applications/{application_id}/refuse", tags=["intake"])
    async def refuse_application(
        application_id: str, body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Refuse to accept, with the written `reason` the applicant is owed."""
        request = step(body, intake_pb2.RejectIntakeRequest(), application_id=application_id)
        return await call(intake.RejectIntake, request)

    @app.post("/v1/applications/{application_id}/transfer", tags=["intake"])
    async def transfer_application(
        application_id: str, body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Forward to the competent township (`to_township`, `reason`)."""
        request = step(body, intake_pb2.TransferApplicationRequest(), application_id=application_id)
        return await call(intake.TransferApplication, request)

    @app.post("/v1/applications/{application_id}/withdraw", tags=["intake"])
    async def withdraw_application(
        application_id: str, body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Withdraw at the applicant's request, with the `reason`."""
        request = step(body, intake_pb2.WithdrawApplicationRequest(), application_id=application_id)
        return await call(intake.WithdrawApplication, request)

    @app.post("/v1/leads", status_code=201, tags=["intake"])
    async def register_lead(body: dict[str, Any], _caller: Annotated[str, Depends(caller)]) -> dict[str, Any]:
        """Register someone found to be possibly in need (never an application by itself)."""
        return await call(intake.RegisterLead, _parse_body(body, intake_pb2.RegisterLeadRequest()))

    @app.get("/v1/leads/{lead_id}", tags=["intake"])
    async def get_lead(lead_id: str, _caller: Annotated[str, Depends(caller)]) -> dict[str, Any]:
        """One lead."""
        return await call(intake.GetLead, intake_pb2.GetLeadRequest(lead_id=lead_id))

    @app.post("/v1/leads/{lead_id}/convert", tags=["intake"])
    async def convert_lead(
        lead_id: str, body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Turn a lead into an application made on the household's behalf (`mandate_reference` required)."""
        return await call(intake.ConvertLead, step(body, intake_pb2.ConvertLeadRequest(), lead_id=lead_id))

    @app.get("/v1/applications/{application_id}/verification-report", tags=["verification"])
    async def verification_report(
        application_id: str, _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """The latest household economic check of an accepted application (DOMAIN §4.8)."""
        request = verification_pb2.GetReportRequest(application_id=application_id)
        return await call(verification.GetReport, request)

    @app.post("/v1/applications/{application_id}/home-surveys", status_code=201, tags=["verification"])
    async def record_home_survey(
        application_id: str, body: dict[str, Any], _caller: Annotated[str, Depends(caller)]
    ) -> dict[str, Any]:
        """Record a home survey by at least two staff; overrides need an `override_reason`."""
        request = step(body, verification_pb2.RecordHomeSurveyRequest(), application_id=application_id)
        return await call(verification.RecordHomeSurvey, request)

    if max_request_bytes is not None or rate_limit is not None:
        app.add_middleware(RequestLimits, max_bytes=max_request_bytes or sys.maxsize, buckets=rate_limit)
    return app


class _Unauthenticated(Exception):
    """No or an unknown bearer token."""
