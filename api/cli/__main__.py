"""``python -m api.cli``: the ``xincheng`` command."""

from api.cli import run

if __name__ == "__main__":  # pragma: no cover
    run()
