"""HTTP entrypoints of the payments service: routes, marshmallow schemas, and the wire shapes of
its resources (`*_json`)."""
