"""IAM ``GET /v3/projects?name=...``: how an AK/SK client finds its project id by region name."""

from __future__ import annotations

from aiohttp import web

from aiocloudocr.emulator._auth import authenticate
from aiocloudocr.emulator._config import DEFAULT_PROJECT_ID, EmulatorConfig
from aiocloudocr.emulator._errors import ApiError, json_response
from aiocloudocr.emulator._handlers import CONTEXT
from aiocloudocr.emulator._state import IAM

PROJECTS_PATH = "/v3/projects"


def known_projects(config: EmulatorConfig) -> dict[str, str]:
    """Project id -> name for every project the emulator accepts and can name."""
    names = {user.project_id: user.project_name for user in config.users}
    if DEFAULT_PROJECT_ID in config.project_ids:
        names.setdefault(DEFAULT_PROJECT_ID, "ap-southeast-1")
    return {pid: name for pid, name in names.items()}


async def handle_projects(request: web.Request) -> web.StreamResponse:
    """List the projects (optionally one ``name``), as IAM does for a signed request."""
    context = request.app[CONTEXT]
    context.state.count(IAM)
    try:
        principal = authenticate(
            method=request.method,
            raw_path=request.raw_path,
            headers=request.headers,
            body=await request.read(),
            config=context.config,
            state=context.state,
        )
    except ApiError as exc:
        context.state.record(IAM, exc.status, exc.code)
        return exc.response()
    wanted = request.query.get("name")
    projects = [
        {"id": pid, "name": name, "enabled": True, "domain_id": "emulator-domain"}
        for pid, name in known_projects(context.config).items()
        if (wanted is None or name == wanted)
        and (principal.project_id is None or principal.project_id == pid)
    ]
    context.state.record(IAM, 200, None)
    return json_response({"projects": projects, "links": {"self": str(request.url)}})
