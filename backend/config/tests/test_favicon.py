import logging


def test_favicon_is_served_without_a_warning(client, caplog):
    caplog.set_level(logging.INFO)

    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO file
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
