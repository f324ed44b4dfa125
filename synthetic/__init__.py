"""The synthetic replica: a fixture generator, not part of the production query layer.

It writes replica-shaped databases (``queries.contract``) calibrated to the published 2020
figures, with known outreach effects planted. It imports from ``queries`` (the contract, URL
helpers, the command-line runner); ``queries`` never imports it: ``queries.demo`` runs
``python -m synthetic`` to build the embedded demo replica.
"""
