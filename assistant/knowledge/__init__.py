"""Community knowledge base (issue 6): admin-written question/answer entries, answered by meaning.

Import the submodules directly; ``encoder``, ``index`` and ``base`` pull in torch and transformers.
"""
