"""The HTTP service (FastAPI) and the command line: the edges of the system."""
