"""The buy flow: place, pay, cancel and expire orders; stock, payment and email follow.

Nothing here knows GraphQL: resolvers and background tasks call the same functions.
"""
