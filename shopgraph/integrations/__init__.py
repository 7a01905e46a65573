"""Adapters to systems outside MongoDB: the payment gateway and the mail server."""
