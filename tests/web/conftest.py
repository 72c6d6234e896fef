"""The .mo files are build output (not in git): compile the catalogues before the pages render Chinese."""

from openjxc.core.i18n import compile_all

compile_all()
