"""``python -m api.cli``: the ``xincheng`` command."""

from api.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
