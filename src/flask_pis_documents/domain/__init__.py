"""The pure domain: person records, ages and the six document rules.

Nothing here imports Flask or does I/O; every function is a function of its
arguments, so it can be tested directly.
"""
from .age import age_on
from .person import AuthenticationMethod, ConfidantPerson, Document, Person
from .rules import GlobalParameters, RequiredDocument, RuleInputs, required_documents

__all__ = [
    "AuthenticationMethod",
    "ConfidantPerson",
    "Document",
    "GlobalParameters",
    "Person",
    "RequiredDocument",
    "RuleInputs",
    "age_on",
    "required_documents",
]
