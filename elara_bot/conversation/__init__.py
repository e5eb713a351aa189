"""Conversations: inbound messages, reply parts, memory and the turn service."""
