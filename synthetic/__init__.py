"""The synthetic replica: a fixture generator, not part of the production query layer.

It writes replica-shaped databases (``queries.contract``) calibrated to the published 2020
figures, with known outreach effects planted. It imports from ``queries`` (the contract, URL
helpers, the command-line runner); ``queries`` reaches it only through
``queries.bootstrap.ensure_demo_replica``, which builds the embedded demo replica.
"""
