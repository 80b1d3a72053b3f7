"""HTTP plumbing under every entry point: request parsing and JSON responses (`http`), the endpoint
declaration that registers, guards, error-maps and documents a route (`routing`), and the browser
guards (`guards`). `api/` and `telephony/` both build on it; it imports neither."""
