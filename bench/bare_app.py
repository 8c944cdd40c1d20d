"""The baseline: a bare FastAPI route returning JSON, served the same way."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, object]:
    return {"allowed": True, "reason": None}
