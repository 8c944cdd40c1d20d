"""Routes copied flat onto the application, each guarded before its dependencies run.

FastAPI (0.137 and later) keeps an included router as one nested node and resolves it
on every call: each call walks the included routers' routes twice, with their
inclusion context rebuilt, and runs the inclusion's dependencies as separate nodes of
the dependency graph. For a service whose routes are all known at start that is pure
per-call cost (issue 13 measured it at a fifth of a marketing check). `include_flat`
registers each route of a router on the application itself, with the prefix, the
responses and the tags the inclusion would have given it — the documented way to build
routes, the same operation in the OpenAPI document — and `FlatRoute`:

- refuses at once a path that cannot be its own: its literal start (`/v1/subjects/`
  of `/v1/subjects/{subject_id}`) is compared before the route's pattern is tried, so
  the routes are still tried in order, each as before, and one call tries about two
  patterns instead of a hundred;
- runs the inclusion's guards (`Guard`) in their order before the operation's
  dependencies, as FastAPI runs an inclusion's dependencies before the operation's;
- runs an operation's own decorator-level dependency as a guard where the inclusion
  says how (`lift`: `requires(scope)` becomes a scope check after the guards), so a
  call does not solve a dependency graph three levels deep only to compare scopes.
  FastAPI runs an operation's decorator-level dependencies before its parameters are
  read, and so does the guard; the OpenAPI document is still made from the declared
  dependencies (the security requirement and its scopes).

A guard is `async (request, route) -> None` that raises an `AppError` to refuse the
call. The guards of `/v1` are `app.core.deps.V1_GUARDS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

Guard = Callable[[Request, APIRoute], Awaitable[None]]
Lift = Callable[[Dependant], Guard | None]
"""Turns an operation's decorator-level dependency into a guard (None: keep it)."""


class FlatRoute(APIRoute):
    """An operation registered flat on the application (see the module)."""

    guards: Sequence[Guard] = ()
    lift: Lift | None = None

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.literal_start = path.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(self.literal_start):
            return Match.NONE, {}
        return super().matches(scope)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        guards = tuple(self.guards)
        lifted: list[Guard] = []
        kept: list[Dependant] = []
        for dependency in self.dependant.dependencies:
            # Decorator-level dependencies have no name (their value is not used).
            guard = self.lift(dependency) if self.lift and dependency.name is None else None
            if guard is None:
                kept.append(dependency)
            else:
                lifted.append(guard)
        if lifted:
            # The handler is made from a copy of the dependant without the lifted
            # dependencies; the route's own (which the OpenAPI document reads) is kept.
            declared = self.dependant
            self.dependant = replace(declared, dependencies=kept)
            try:
                handler = super().get_route_handler()
            finally:
                self.dependant = declared
            guards += tuple(lifted)
        else:
            handler = super().get_route_handler()
        if not guards:
            return handler
        route = self

        async def guarded(request: Request) -> Response:
            for guard in guards:
                await guard(request, route)
            return await handler(request)

        return guarded


def include_flat(
    app: FastAPI,
    router: APIRouter,
    *,
    prefix: str = "",
    guards: Sequence[Guard] = (),
    lift: Lift | None = None,
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> None:
    """Register every operation of `router` on `app` under `prefix`, guarded by
    `guards` (and the dependencies `lift` turns into guards, after them), with
    `responses` added to each (the operation's own win)."""
    route_class = type(
        "GuardedRoute",
        (FlatRoute,),
        {"guards": tuple(guards), "lift": staticmethod(lift) if lift else None},
    )
    for route in router.routes:
        if type(route) is not APIRoute:  # a websocket, a mount, a custom route class
            raise TypeError(f"include_flat copies plain operations only: {route!r}")
        app.router.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=list(route.tags),
            dependencies=list(route.dependencies),
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses={**(responses or {}), **route.responses},
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            route_class_override=route_class,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
        )
