"""The interactive API docs, `/v1/docs` (Swagger UI) and `/v1/redoc` (ReDoc), served with
their files from this server: no CDN, so they work on a server without internet access
or behind a strict proxy."""
