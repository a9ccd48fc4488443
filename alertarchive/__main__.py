"""`python -m alertarchive`: the same command as the `alertarchive` script."""

from alertarchive.cli import main

if __name__ == "__main__":
    main()
