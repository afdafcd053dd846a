"""Command modules: each registers its commands on ``channelkg.cli.cli``."""
