"""Run the command-line interface: ``python -m channelkg``."""

from channelkg.cli.entry import main

if __name__ == "__main__":
    main()
