"""CLI subcommands that live in their own modules (listed in etl.cli.COMMAND_MODULES)."""
