"""Slack for merchants: the only package importing slack_bolt / slack_sdk."""

from connectors.slack.connector import SlackConnector, start_slack

__all__ = ["SlackConnector", "start_slack"]
