"""Model instances for rows about to be written, built the way the ORM builds a row it read.

`Model(**values)` matches every keyword against the fields and runs each foreign key's descriptor; for the
few dozen rows a posting makes (its document, lines, moves, events, audit records, log rows) that costs more
than writing them. Django's positional `__init__` (the path `from_db` takes) sets the columns directly.
"""

from __future__ import annotations

_order_cache: dict = {}
_CALL = object()  # a column whose default is computed per row


def _order(model) -> tuple:
    """(concrete fields, name or attname -> (position, the foreign key when named by its related object),
    per position the default: the value itself when it is the same for every row, else _CALL)."""
    order = _order_cache.get(model)
    if order is None:
        fields = tuple(model._meta.concrete_fields)
        index: dict[str, tuple] = {}
        defaults: list = []
        for i, f in enumerate(fields):
            index[f.attname] = (i, None)
            if f.is_relation and f.many_to_one and f.name != f.attname:  # a ForeignKey, not one-to-one
                index[f.name] = (i, f)
            # no default of its own: None, or "" for a string column (Field._get_default), alike for every row
            defaults.append(_CALL if f.has_default() or f.has_db_default() or f.one_to_one else f.get_default())
        order = _order_cache[model] = (fields, index, defaults)
    return order


def new_object(model, values: dict):
    """`model(**values)` for a row about to be written, built as the ORM builds a row it read: every column
    given positionally, Django's fast path (no keyword matching, no descriptor checks per field). `values` are
    keyed by attname (`actor_id`), or by a foreign key's name with its related object or None (`actor`): its
    key is taken from it and it is cached on the instance, as assigning it would. A column not given takes
    its default, as with keywords."""
    fields, index, defaults = _order(model)
    args = list(defaults)
    related = []
    for name, value in values.items():
        try:
            i, fk = index[name]
        except KeyError:
            raise TypeError(f"{model.__name__} has no column {name}") from None
        if fk is None:
            args[i] = value
        elif value is None:
            args[i] = None
        else:
            if not isinstance(value, fk.remote_field.model):
                raise ValueError(f"{model.__name__}.{name} must be a {fk.remote_field.model.__name__}")
            args[i] = getattr(value, fk.target_field.attname)
            related.append((fk, value))
    for i, value in enumerate(args):
        if value is _CALL:
            args[i] = fields[i].get_default()
    obj = model(*args)
    for fk, value in related:
        fk.set_cached_value(obj, value)
    return obj
