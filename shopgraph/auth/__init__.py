"""Passwords, tokens, who the caller is, and what they may do."""
