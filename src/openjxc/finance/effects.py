def register_hooks():
    pass
