"""Services between the interfaces (CLI, API, web) and the store.

Interfaces parse input, call one service function and render its result; rules about
what may be written or seen live here, once.
"""
