"""The buy flow: place, pay, cancel and expire orders; stock, payment and email follow.

Nothing here knows GraphQL, a request or the driver: resolvers, the CLI and background
tasks call the same `Orders` service.
"""
