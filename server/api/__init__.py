"""The web layer: thin routes over the core. Nothing here builds a tensor."""
