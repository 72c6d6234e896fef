"""The pinyin search key of an item (拼音检索): 可口可乐 → "kekoukele kkkl", so a picker finds the item by its full
pinyin or its initials as well as by its name, code or barcodes.

pypinyin (a well-kept library with phrase dictionaries, so 重庆 reads chong-qing and 银行 yin-hang) does the
reading; characters that are not Chinese (letters, digits: 农夫山泉550ml) stay as they are in both forms.
The key is stored on the item (catalog.services fills it on every save; migration 0007 filled the existing
items), so a search is one `icontains` on a column, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def search_key(name: str) -> str:
    """The full pinyin and the initials of `name`, lower case, without spaces, joined by one space."""
    # imported here, not with the module: its phrase dictionaries take ~56 MB, which a server process that never
    # saves an item or a partner need not hold (issue 15: server RSS)
    from pypinyin import Style, lazy_pinyin

    name = (name or "").strip()
    full = "".join(lazy_pinyin(name, errors="default"))
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"))
    return f"{_SPACE.sub('', full)} {_SPACE.sub('', initials)}".lower().strip()
