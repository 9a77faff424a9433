"""Built-in ops: registered through `server.registry.register`, the way an extension would."""
