"""HTTP: blueprints for pages and the API. Views stay thin."""
