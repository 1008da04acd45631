"""The reliability battery: bad input, misuse and hostile state, as data.

Every case is a :class:`battery.case.Case` tagged with its topic; the
``cases_<topic>.py`` modules build them, ``battery/runner.py`` runs one and
judges the outcome, ``test_battery.py`` runs them all, and
``benchmarks/reliability_vs_sklearn.py`` runs the same cases against
scikit-learn's MLP.

Where a table of cases keeps a field ``_before``, it records what the code
did before the fix that made those cases pass.
"""
