"""One module per subcommand group; each has ``register(subparsers)``."""
