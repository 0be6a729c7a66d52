from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_health():
    assert client.get("/health").json()["status"] == "ok"


def test_item_roundtrip():
    client.post("/items/2", json={"name": "saw", "price": 12.0})
    assert client.get("/items/2").json()["name"] == "saw"
