"""The baseline: bare FastAPI routes returning JSON, served the same way."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, object]:
    return {"allowed": True, "reason": None}


@app.get("/bare-async")
async def bare_async() -> dict[str, object]:
    return {"allowed": True, "reason": None}
