"""PRM global parameters: from the config, or from the ``global_parameters`` table."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import DEFAULT_GLOBAL_PARAMETERS, parse_global_parameters
from ..domain.rules import GlobalParameters
from ..exceptions import ConfigurationError, DependencyUnavailable
from .database import engine
from .models import GlobalParameterRow

GLOBAL_PARAMETERS = "global parameters store"

#: A global parameters loader hook: ``() -> mapping of the three ages``.
GlobalParametersLoader = Callable[[], Mapping[str, Any]]


class PrmGlobalParametersLoader:
    """Read the three ages from the PRM-style ``global_parameters`` table."""

    def __init__(self, bind: str | None = None) -> None:
        self.bind = bind

    def __call__(self) -> Mapping[str, Any]:
        query = select(GlobalParameterRow.parameter, GlobalParameterRow.value).where(
            GlobalParameterRow.parameter.in_(list(DEFAULT_GLOBAL_PARAMETERS))
        )
        with Session(engine(self.bind)) as session:
            return {name: value for name, value in session.execute(query).all()}


class CachedGlobalParameters:
    """A loader's answer, kept for ``ttl`` seconds (0: asked on every request).

    A value that is not a whole number is a dependency failure, not a crash.
    """

    def __init__(self, loader: GlobalParametersLoader, ttl: float) -> None:
        self.loader = loader
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value: GlobalParameters | None = None
        self._expires = 0.0

    def cached(self) -> GlobalParameters | None:
        """The cached parameters while fresh, else ``None``; no I/O."""
        if self._value is not None and time.monotonic() < self._expires:
            return self._value
        return None

    def load(self) -> GlobalParameters:
        """Ask the loader, parse and cache its answer."""
        try:
            parameters = parse_global_parameters(self.loader(), GLOBAL_PARAMETERS)
        except ConfigurationError:
            raise DependencyUnavailable(GLOBAL_PARAMETERS) from None
        with self._lock:
            self._value = parameters
            self._expires = time.monotonic() + self.ttl
        return parameters
