"""The `callcenter` command. Each sub-command group lives in its own module
with a ``register(subparsers)`` function; this module only assembles them."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from acd.errors import QueueConfigError
from callcenter import __version__
from callcenter.config import Config, ConfigError, config_file_from, load_config
from callcenter.db import SchemaOutOfDate

# Modules that add sub-commands; each has register(subparsers).
COMMAND_MODULES = [
    "callcenter.commands.run",
    "callcenter.commands.demo",
    "callcenter.commands.db",
    "callcenter.commands.agents",
    "callcenter.commands.freeswitch",
    "callcenter.commands.ivr",
    "callcenter.commands.recordings",
    "callcenter.commands.qa",
    "callcenter.commands.reports",
    "callcenter.commands.tickets",
]

EXIT_CONFIG_ERROR = 2
EXIT_SCHEMA_BEHIND = 3


class CommandContext:
    """What a sub-command gets: its arguments and a lazily loaded configuration."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(config_file_from(self.args.config))
        return self._config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter",
                                     description="Call center engine for FreeSWITCH.")
    parser.add_argument("--version", action="version", version=f"callcenter {__version__}")
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (default: $CALLCENTER_CONFIG, else the shipped default)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    context = CommandContext(args)
    try:
        return int(args.handler(context) or 0)
    except (ConfigError, QueueConfigError) as exc:
        print(f"callcenter: configuration error\n{exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except SchemaOutOfDate as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return EXIT_SCHEMA_BEHIND
