"""HTTP blueprints of the function app, one module per concern."""
