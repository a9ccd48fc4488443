"""`python -m alertarchive`: the same command as the `alertarchive` script."""

from alertarchive.browse.cli import main

if __name__ == "__main__":
    main()
