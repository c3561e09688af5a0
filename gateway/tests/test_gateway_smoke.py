from gateway_testkit import RunningGateway, Stub


def test_proxy_roundtrip(gw: RunningGateway, stub: Stub) -> None:
    token = gw.token()
    resp = gw.get("/api/v1/Customers/cus_1?expand=x", token)
    assert resp.status_code == 200, resp.text
    assert resp.json()["path_qs"] == "/api/v1/Customers/cus_1?expand=x"
