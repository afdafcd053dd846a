"""Plain classes with named fields that behave as dataclasses, without importing them.

Importing :mod:`dataclasses` imports :mod:`inspect` and takes longer than importing
pyoxigraph, so the types every query goes through (the query result, the graph spec, the
named query, the table …) are :class:`Record` subclasses instead: each one lists its
fields in ``__slots__`` and writes its ``__init__``; the base gives it the ``repr``,
equality, hash (when frozen) and immutability of the dataclass it stands for, and the
dataclass protocol (``dataclasses.fields``, ``replace``, ``asdict``, ``is_dataclass``),
built on first use from an equivalent dataclass.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar, Self


class Record:
    """Base of a plain class with named fields (its ``__slots__``, in order).

    Class attributes a subclass may set: :attr:`FROZEN` (no assignment after
    ``__init__``; hashable), :attr:`UNCOMPARED` (fields neither compared nor hashed),
    :attr:`UNSHOWN` (fields left out of the ``repr``), and, for the dataclass protocol,
    :attr:`DEFAULTS` (a field's default) and :attr:`FACTORIES` (what makes a fresh
    default per instance). ``__init__`` takes every field, in order, and sets them with
    :meth:`set`.
    """

    __slots__ = ()
    FROZEN: ClassVar[bool] = False
    UNCOMPARED: ClassVar[tuple[str, ...]] = ()
    UNSHOWN: ClassVar[tuple[str, ...]] = ()
    DEFAULTS: ClassVar[dict[str, Any]] = {}
    FACTORIES: ClassVar[dict[str, Callable[[], Any]]] = {}
    #: Every field, the base classes' first (set for each subclass).
    FIELDS: ClassVar[tuple[str, ...]] = ()
    #: The dataclass protocol (:class:`DataclassFields`, set for each subclass).
    __dataclass_fields__: ClassVar[dict[str, Any]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        inherited = tuple(f for base in reversed(cls.__mro__[1:])
                          for f in getattr(base, "__slots__", ()) if base is not object)
        cls.FIELDS = inherited + tuple(cls.__dict__.get("__slots__", ()))
        if cls.FROZEN:
            cls.__hash__ = Record.frozen_hash  # type: ignore[method-assign,assignment]
        else:
            cls.__hash__ = None  # type: ignore[assignment]  # mutable, compared by value
        cls.__dataclass_fields__ = DataclassFields()  # type: ignore[assignment]
        for base in cls.__mro__[:-1]:  # the subclass and its bases, Record's own too
            introspectable(base)

    def set(self, **values: Any) -> None:
        """Set fields (in ``__init__``; a frozen record allows nothing else)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def compared(self) -> tuple[Any, ...]:
        """The values of the fields compared and hashed."""
        return tuple(getattr(self, f) for f in self.FIELDS if f not in self.UNCOMPARED)

    def __setattr__(self, name: str, value: Any) -> None:
        if self.FROZEN:
            raise AttributeError(f"cannot assign to field {name!r} of a frozen "
                                 f"{type(self).__name__}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self.FROZEN:
            raise AttributeError(f"cannot delete field {name!r} of a frozen "
                                 f"{type(self).__name__}")
        object.__delattr__(self, name)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.FIELDS
                          if f not in self.UNSHOWN)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.compared() == other.compared()

    def frozen_hash(self) -> int:
        """The hash of a frozen record: of its compared fields, as a dataclass's."""
        return hash(self.compared())

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` (as ``dataclasses.replace``)."""
        return type(self)(**{**{f: getattr(self, f) for f in self.FIELDS}, **changes})

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and copy through ``__init__`` (a frozen record refuses ``setattr``)."""
        return type(self), tuple(getattr(self, f) for f in self.FIELDS)


class _Hints(dict):  # type: ignore[type-arg]
    """A class's ``__annotations__`` (text): the first read also imports, into its
    module, the names the module imports for type checking only, so that
    ``typing.get_type_hints`` resolves them; until then nothing more is imported."""

    def __init__(self, items: dict[str, Any], module: str) -> None:
        super().__init__(items)
        self.module: str | None = module

    def _resolve(self) -> None:
        if self.module is not None:
            module, self.module = self.module, None
            type_checking_imports(module)

    def items(self) -> Any:
        self._resolve()
        return super().items()

    def keys(self) -> Any:
        self._resolve()
        return super().keys()

    def values(self) -> Any:
        self._resolve()
        return super().values()

    def __iter__(self) -> Any:
        self._resolve()
        return super().__iter__()

    def __getitem__(self, key: str) -> Any:
        self._resolve()
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._resolve()
        return super().get(key, default)


def type_checking_imports(module: str) -> None:
    """Run the imports of the ``if TYPE_CHECKING:`` blocks of ``module`` into its
    namespace (names it has already are kept)."""
    import ast
    import sys

    mod = sys.modules[module]
    path = getattr(mod, "__file__", None)
    if not path:
        return
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and (
                node.test.id == "TYPE_CHECKING"):
            for stmt in node.body:
                if not isinstance(stmt, ast.Import | ast.ImportFrom):
                    continue
                code = compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec")
                try:
                    exec(code, found)  # noqa: S102
                except ImportError:  # an optional package that is not installed
                    continue
    for name, value in found.items():
        if name != "__builtins__":
            mod.__dict__.setdefault(name, value)


def introspectable(cls: type) -> type:
    """Let ``typing.get_type_hints(cls)`` resolve the names ``cls``'s module imports for
    type checking only (see :class:`_Hints`); returns ``cls``."""
    own = cls.__dict__.get("__annotations__")
    if isinstance(own, dict) and not isinstance(own, _Hints):
        type.__setattr__(cls, "__annotations__", _Hints(own, cls.__module__))
    return cls


class DataclassFields:
    """``__dataclass_fields__`` of a :class:`Record` class: the fields of an equivalent
    dataclass, made (and :mod:`dataclasses` imported) the first time anything asks."""

    def __get__(self, obj: object, owner: type[Record]) -> dict[str, Any]:
        import dataclasses

        specs: list[tuple[str, str, Any]] = []
        for name in owner.FIELDS:
            shown, compare = name not in owner.UNSHOWN, name not in owner.UNCOMPARED
            spec: Any
            if name in owner.FACTORIES:
                spec = dataclasses.field(default_factory=owner.FACTORIES[name], repr=shown,
                                         compare=compare)
            elif name in owner.DEFAULTS:
                spec = dataclasses.field(default=owner.DEFAULTS[name], repr=shown,
                                         compare=compare)
            else:
                spec = dataclasses.field(repr=shown, compare=compare)
            specs.append((name, "Any", spec))
        twin = dataclasses.make_dataclass(owner.__name__, specs, frozen=owner.FROZEN)
        fields: dict[str, Any] = getattr(twin, "__dataclass_fields__")  # noqa: B009
        type.__setattr__(owner, "__dataclass_fields__", fields)
        return fields


__all__ = ["DataclassFields", "Record", "introspectable", "type_checking_imports"]
