"""A small FastAPI service used as a dockopt example."""
from fastapi import FastAPI
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel

app = FastAPI(title="items", default_response_class=ORJSONResponse)


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


ITEMS: dict[int, Item] = {1: Item(name="hammer", price=9.5, tags=["tools"])}


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "items": len(ITEMS)}


@app.get("/items/{item_id}")
def read_item(item_id: int) -> Item:
    return ITEMS[item_id]


@app.post("/items/{item_id}")
def put_item(item_id: int, item: Item) -> Item:
    ITEMS[item_id] = item
    return item
