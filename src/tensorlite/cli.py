"""The `tensorlite` command."""

import argparse
import sys


def _info(args):
    from tensorlite import show_config

    show_config()
    return 0


def main(argv=None):
    """Entry point of the `tensorlite` console script."""
    parser = argparse.ArgumentParser(prog="tensorlite", description="tensorlite command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="print the build configuration (same as tl.show_config())").set_defaults(run=_info)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
