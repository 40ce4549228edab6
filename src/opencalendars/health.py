"""`GET /healthz`: alive and able to reach the database (no auth)."""

from fastapi import APIRouter, Request

from opencalendars.http.json import JsonResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request):
    if request.app.state.db.ping():
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "unavailable"}, status_code=503)
